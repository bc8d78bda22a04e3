/*
 * Server processes under test: OneDoor (dist/main.js, as `npm start` runs it) or the bare
 * reference (dist/bench-bare-provider.js), each a child process pinned with taskset, started
 * with production-like settings from the environment. Both are plain JavaScript built by
 * scripts/build.js (see buildServers), so neither pays for compiling TypeScript at start.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const NODE = path.join(ROOT, 'node_modules', '.bin', 'node')

export interface ServerProcess {
  child: ChildProcess
  pid: number
  /** Peak resident set (VmHWM) so far, in MiB. */
  peakRssMiB(): number
  /** CPU time used so far by all of the server's threads (main + libuv pool), in ms. */
  cpuMs(): number
  /** CPU time used so far by the main thread alone (argon2 runs on the libuv pool), in ms. */
  mainThreadCpuMs(): number
  stdoutLines: string[]
  stop(): Promise<void>
}

/** The built entry points the benchmark starts: OneDoor's server and the bare reference. */
export const ONEDOOR_SCRIPT = 'dist/main.js'
export const BARE_SCRIPT = 'dist/bench-bare-provider.js'

/**
 * How `npm start` runs the server (package.json `scripts.start`): its environment defaults
 * (`NAME=${NAME:-value}`) and Node flags, so that the benchmark measures exactly that, and runs
 * the bare reference under the same runtime settings.
 */
export function startSettings(): { env: Record<string, string>; nodeArgs: string[] } {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  const env: Record<string, string> = {}
  const nodeArgs: string[] = []
  for (const token of start.split(/\s+/)) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(?:\$\{\1:-(.*)\}|(.*))$/.exec(token)
    if (assignment) env[assignment[1]] = assignment[2] ?? assignment[3]
    else if (token.startsWith('--')) nodeArgs.push(token)
  }
  return { env, nodeArgs }
}

/** Builds both servers to JavaScript (scripts/build.js), so that both are measured the same way. */
export async function buildServers(): Promise<void> {
  // @ts-expect-error scripts/build.js is plain JavaScript without type declarations
  const { build, APP_ENTRIES } = (await import('../scripts/build.js')) as { build(o: object): Promise<void>; APP_ENTRIES: Record<string, string> }
  await build({ entryPoints: { ...APP_ENTRIES, 'bench-bare-provider': 'bench/bare-provider.ts' } })
}

/**
 * Starts `script` pinned to `cpus`: a .js file as `npm start` runs the server (plain Node with
 * the start script's flags and environment defaults; `env` wins), a .ts file through tsx.
 * `nodeArgs` go before the script (e.g. --cpu-prof for profiling).
 */
export function spawnServer(script: string, env: Record<string, string>, cpus: string, nodeArgs: string[] = []): ServerProcess {
  const runtime = script.endsWith('.ts') ? { env: {}, nodeArgs: ['--import', 'tsx'] } : startSettings()
  const child = spawn('taskset', ['-c', cpus, NODE, ...runtime.nodeArgs, ...nodeArgs, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...runtime.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdoutLines: string[] = []
  let stderr = ''
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    stdoutLines.push(...lines)
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000)
  })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))
  child.once('exit', (code, signal) => {
    if (code && code !== 0) process.stderr.write(`[bench] ${path.basename(script)} exited with ${code ?? signal}:\n${stderr.slice(-3000)}\n`)
  })
  return {
    child,
    pid: child.pid!,
    stdoutLines,
    peakRssMiB() {
      // taskset execs the server, so the child pid is the server itself.
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN)
      return kib / 1024
    },
    cpuMs() {
      let ns = 0
      for (const task of readdirSync(`/proc/${child.pid}/task`)) {
        try {
          ns += Number(readFileSync(`/proc/${child.pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
        } catch {
          // the thread ended between listing and reading
        }
      }
      return ns / 1e6
    },
    mainThreadCpuMs() {
      // The main thread's task id is the process id.
      return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
    },
    async stop() {
      if (exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exit
      clearTimeout(timer)
    },
  }
}

/** Polls GET /readyz every 5 ms until it answers 200; returns ms since `since`. */
export async function waitReady(port: number, since: number, server: ServerProcess, timeoutMs = 30_000): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    if (server.child.exitCode !== null) throw new Error('server exited before it was ready')
    if ((await probe(port)) === 200) return performance.now() - since
    await sleep(5)
  }
  throw new Error(`server not ready within ${timeoutMs} ms`)
}

function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let data = ''
    socket.setTimeout(1000)
    socket.on('connect', () => socket.write(`GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n`))
    socket.on('data', (chunk) => { data += chunk.toString('latin1') })
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0)))
    socket.on('timeout', () => { socket.destroy(); resolve(0) })
    socket.on('error', () => resolve(0))
  })
}

export { freePort } from '../src/shared/free-port.js'
