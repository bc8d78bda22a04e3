/*
 * Server processes under test: OneDoor (src/main.ts) or the bare reference, each a child
 * process pinned with taskset, started with production-like settings from the environment.
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
  stdoutLines: string[]
  stop(): Promise<void>
}

export function spawnServer(script: string, env: Record<string, string>, cpus: string): ServerProcess {
  const child = spawn('taskset', ['-c', cpus, NODE, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
