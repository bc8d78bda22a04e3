/*
 * A private, real PostgreSQL server for fault drills that stop and start the database (issue 6):
 * its own data directory, port (127.0.0.1 only) and socket directory, so the shared server the
 * rest of the suite uses is never touched. initdb and postgres refuse to run as root, so when the
 * tests run as root the server runs as the `postgres` OS user.
 *
 * Always removed: call destroy() in an `after` hook; a process 'exit' hook and SIGINT/SIGTERM/
 * SIGHUP handlers stop and delete whatever is left (mocha --exit, a test that threw before its
 * hook ran, Ctrl-C). Only a SIGKILL of the test process leaves the server behind.
 */
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from './onedoor.js'

const execFileAsync = promisify(execFile)
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
const PG_BIN = process.env.ONEDOOR_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PrivatePostgres {
  /** Connection URL (user postgres, trust authentication, database postgres). */
  url: string
  port: number
  /** Stops the server: `fast` ends sessions cleanly (57P01), `immediate` is a crash-like stop. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Starts it again on the same port and data directory; resolves when it accepts connections. */
  start(): Promise<void>
  /** Stops the server and deletes its directory. Idempotent. */
  destroy(): void
}

export function isPrivatePostgresAvailable(): boolean {
  return existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'pg_ctl'))
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'onedoor-pg-'))
  const dataDir = path.join(dir, 'data')
  const logFile = path.join(dir, 'server.log')
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const { uid, gid } = postgresUser()
    chownSync(dir, uid, gid)
  }
  const commandLine = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, tool), ...args]] : [path.join(PG_BIN, tool), args]
  // Synchronous only where it must be: the process 'exit' hook cannot wait for a promise.
  const runSync = (tool: string, args: string[]) => {
    const result = spawnSync(...commandLine(tool, args), { encoding: 'utf8', timeout: 60_000 })
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`)
  }
  // Asynchronous for stop and start, so that the load a drill runs keeps going meanwhile.
  const run = async (tool: string, args: string[]) => {
    await execFileAsync(...commandLine(tool, args), { encoding: 'utf8', timeout: 60_000 })
  }
  let running = false
  let destroyed = false
  const instance: PrivatePostgres = {
    url: '',
    port: 0,
    async stop(mode = 'fast') {
      if (!running) return
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop'])
      running = false
    },
    async start() {
      if (running) return
      running = true // before it is up: a start that fails half-way is still stopped by destroy()
      await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start'])
    },
    destroy() {
      if (destroyed) return
      destroyed = true
      process.removeListener('exit', instance.destroy)
      for (const signal of SIGNALS) process.removeListener(signal, onSignal)
      try {
        if (running) runSync('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'])
      } catch {
        // not running after all (a start that failed): nothing to stop
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
  // After cleaning up, the signal goes on as if we had not been listening (unless someone else is).
  const onSignal = (signal: NodeJS.Signals) => {
    instance.destroy()
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  process.on('exit', instance.destroy)
  for (const signal of SIGNALS) process.once(signal, onSignal)
  try {
    runSync('initdb', ['-D', dataDir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync'])
    const port = await freePort()
    // A throwaway server: no durability needed, small footprint on a shared machine.
    appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'max_connections = 60', 'shared_buffers = 32MB', ''].join('\n'),
    )
    instance.port = port
    instance.url = `postgres://postgres@127.0.0.1:${port}/postgres`
    await instance.start()
    return instance
  } catch (err) {
    instance.destroy()
    throw err
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  const gid = id('-g')
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root needs a `postgres` OS user to run a private PostgreSQL')
  return { uid, gid }
}
