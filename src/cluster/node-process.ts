/*
 * One OneDoor node as a child process: Node 24 from node_modules, configured only by its
 * environment, ready when /readyz answers 200. It runs either as `npm start` does (dist/main.js,
 * built beforehand, with the start script's runtime flags: `npm run cluster`) or from the
 * TypeScript sources through tsx (the tests: always the code as it is now, no build needed).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PROJECT_ROOT } from '../config/index.js'
import { readStartCommand } from './start-script.js'

export const NODE_BINARY = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node')

export interface NodeProcessOptions {
  name: string
  port: number
  /** The whole environment of the node (nothing is inherited but PATH and HOME). */
  env: Record<string, string>
  /** Each output line, prefixed with the node's name (the `npm run cluster` console); unset: kept quiet. */
  onOutput?: (line: string) => void
  /** Runs the node under `taskset -c <cpus>` (the benchmark pins processes). */
  cpus?: string
  /**
   * 'dist': as `npm start` runs it (package.json's start script: the built entry, its node flags
   * and environment defaults; build first). 'source' (default): src/main.ts through tsx.
   */
  runtime?: NodeRuntime
}

export type NodeRuntime = 'dist' | 'source'

/** Node's arguments and environment defaults for a runtime; every node also preloads exit-with-parent. */
function runtimeCommand(runtime: NodeRuntime): { args: string[]; envDefaults: Record<string, string> } {
  // A .ts preload is fine without tsx: Node ≥ 22.18 strips types itself (it has none anyway).
  const lifeline = ['--import', './src/cluster/exit-with-parent.ts']
  if (runtime === 'source') return { args: ['--import', 'tsx', ...lifeline, 'src/main.ts'], envDefaults: {} }
  const start = readStartCommand()
  return { args: [...start.nodeFlags, ...lifeline, start.entry], envDefaults: start.envDefaults }
}

export interface NodeProcess {
  readonly name: string
  /** http://127.0.0.1:PORT: the node itself, bypassing the proxy. */
  readonly url: string
  readonly port: number
  /** Process id of the running node (changes on restart). */
  readonly pid: number
  readonly child: ChildProcess
  /** True once the process has exited. */
  readonly exited: boolean
  /** Resolves when /readyz answers 200; rejects if the process exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>
  /** Sends `signal` (SIGKILL: `kill -9`) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** SIGTERM (graceful: readiness off, requests drain), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
  /** Starts the node again on the same port and environment (after kill or stop). */
  restart(): Promise<void>
  /** The last lines the node wrote (for failure messages). */
  output(): string
}

export function spawnNode(options: NodeProcessOptions): NodeProcess {
  let child: ChildProcess
  let exit: Promise<void>
  let exited = false
  const tail: string[] = []
  const runtime = runtimeCommand(options.runtime ?? 'source')

  function launch(): void {
    const command = options.cpus ? 'taskset' : NODE_BINARY
    const args = [...(options.cpus ? ['-c', options.cpus, NODE_BINARY] : []), ...runtime.args]
    child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...runtime.envDefaults, ...options.env, PORT: String(options.port) },
      // stdin stays open as a lifeline: see exit-with-parent.ts.
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    exited = false
    exit = new Promise((resolve) => child.once('exit', () => {
      exited = true
      resolve()
    }))
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = ''
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8')
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) {
          tail.push(line)
          if (tail.length > 50) tail.shift()
          options.onOutput?.(`[${options.name}] ${line}`)
        }
      })
    }
  }

  launch()
  const url = `http://127.0.0.1:${options.port}`
  const handle: NodeProcess = {
    name: options.name,
    url,
    port: options.port,
    get pid() {
      return child.pid!
    },
    get child() {
      return child
    },
    get exited() {
      return exited
    },
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if (exited) throw new Error(`${options.name} exited before it was ready:\n${handle.output()}`)
        if (await isReady(url)) return
        await sleep(50)
      }
      throw new Error(`${options.name} not ready within ${timeoutMs} ms:\n${handle.output()}`)
    },
    async kill(signal = 'SIGKILL') {
      if (exited) return
      child.kill(signal)
      await exit
    },
    async stop(graceMs = 15_000) {
      if (exited) return
      child.kill('SIGTERM')
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exit
      clearTimeout(force)
    },
    async restart() {
      await handle.stop()
      launch()
      await handle.ready()
    },
    output: () => tail.join('\n'),
  }
  return handle
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}
