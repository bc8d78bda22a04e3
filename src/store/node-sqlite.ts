/*
 * SQLite through Node's built-in `node:sqlite` (synchronous, in-process), plugged into knex's
 * better-sqlite3 dialect (same SQL, migrations and schema builder as the sqlite3 dialect).
 *
 * Why not the `sqlite3` package: it runs every statement on libuv's 4-thread pool, which argon2
 * and async crypto share; a burst of logins stalled token-endpoint reads from 0.1 ms to 25 ms,
 * and the thread hop plus callback cost dominated a token request (the benchmark measured
 * client-credentials at ~36 % of a bare in-memory provider). A synchronous driver costs a few
 * microseconds per statement and never waits behind a password hash. better-sqlite3 does the
 * same but is a native addon that must be compiled for the Node that runs it (node-gyp needs
 * Node headers, unavailable offline); `node:sqlite` ships inside Node 22.5+ and needs nothing.
 * Statements are short (single-row lookups by key, WAL mode, synchronous=NORMAL), so blocking
 * the event loop for them is cheaper than the round trip through the thread pool.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { DatabaseSync as DatabaseSyncType, StatementSync } from 'node:sqlite'

const require = createRequire(import.meta.url)

/** node:sqlite announces itself as experimental on load; that notice is not an operator concern. */
function loadNodeSqlite(): typeof import('node:sqlite') {
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const message = typeof warning === 'string' ? warning : warning.message
    if (/SQLite is an experimental feature/.test(message)) return
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    return require('node:sqlite') as typeof import('node:sqlite')
  } finally {
    process.emitWarning = emitWarning
  }
}

/** Primary SQLite result codes, named as the sqlite3 package names them (SQLITE_CONSTRAINT…). */
const RESULT_CODES: Record<number, string> = {
  1: 'ERROR', 2: 'INTERNAL', 3: 'PERM', 4: 'ABORT', 5: 'BUSY', 6: 'LOCKED', 7: 'NOMEM', 8: 'READONLY',
  9: 'INTERRUPT', 10: 'IOERR', 11: 'CORRUPT', 13: 'FULL', 14: 'CANTOPEN', 15: 'PROTOCOL', 17: 'SCHEMA',
  18: 'TOOBIG', 19: 'CONSTRAINT', 20: 'MISMATCH', 21: 'MISUSE', 25: 'RANGE', 26: 'NOTADB',
}

/** Same shape as the sqlite3 package's errors (code SQLITE_X, errno, "SQLITE_X: message"). */
function asDriverError(err: unknown): unknown {
  const e = err as Error & { code?: string; errcode?: number; errno?: number }
  if (e?.code !== 'ERR_SQLITE_ERROR' || typeof e.errcode !== 'number') return err
  const primary = e.errcode & 0xff
  const name = `SQLITE_${RESULT_CODES[primary] ?? 'ERROR'}`
  e.code = name
  e.errno = primary
  e.message = `${name}: ${e.message}`
  return e
}

/** Rows as plain objects, BLOBs as Buffers (what the sqlite3 package returned). */
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key in row) {
    const value = row[key]
    out[key] = value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value
  }
  return out
}

class Statement {
  readonly reader: boolean

  constructor(private readonly statement: StatementSync) {
    this.reader = statement.columns().length > 0
  }

  all(bindings: unknown[]): Record<string, unknown>[] {
    try {
      return (this.statement.all(...(bindings as never[])) as Record<string, unknown>[]).map(plainRow)
    } catch (err) {
      throw asDriverError(err)
    }
  }

  run(bindings: unknown[]): { changes: number; lastInsertRowid: number } {
    try {
      const result = this.statement.run(...(bindings as never[]))
      return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) }
    } catch (err) {
      throw asDriverError(err)
    }
  }
}

const STATEMENT_CACHE_SIZE = 256

/** WAL size (4 KiB pages) past which a checkpoint round pauses writes to catch up (~16 MB). */
const WAL_REWIND_FRAMES = 4000

/** The checkpoint worker (plain CommonJS, run with eval so it needs no loader or build step). */
const CHECKPOINTER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
process.emitWarning = () => {}
const { DatabaseSync } = require('node:sqlite')
const db = new DatabaseSync(workerData.filename)
db.exec('PRAGMA busy_timeout = 5000')
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
parentPort.on('message', () => {
  let walFrames = 0
  try {
    walFrames = passive.get().log
  } catch {
    // busy or the file went away; the next round tries again
  }
  parentPort.postMessage(walFrames)
})
`

/** One database connection with a small cache of prepared statements (knex prepares per query). */
export class NodeSqliteConnection {
  private readonly db: DatabaseSyncType
  private readonly statements = new Map<string, Statement>()
  private checkpointer: Worker | undefined

  constructor(private readonly filename: string, DatabaseSync: typeof DatabaseSyncType) {
    this.db = new DatabaseSync(filename)
  }

  /**
   * WAL checkpoints on a worker thread instead of inside a commit. SQLite's automatic checkpoint
   * runs in whichever commit crosses 1000 WAL pages and fsyncs there: with a synchronous driver
   * that stalled the event loop for 10–50 ms every ~150 token writes (and doubled the mean cost
   * of a write). Every 200 ms the worker's own connection checkpoints PASSIVE-ly, never blocking
   * the writer. Under a steady stream of writes that never quite catches up with the newest
   * frames, so the WAL would never be rewound: past ~16 MB, one round runs while `exclusive`
   * holds this connection (other queries wait asynchronously, the event loop keeps running), it
   * catches up, and the next write rewinds the WAL. Durability is unchanged: commits are as
   * synchronous as `PRAGMA synchronous` says. If the worker dies, automatic checkpoints return.
   */
  startBackgroundCheckpoints(exclusive: (work: () => Promise<void>) => Promise<void>): void {
    if (this.filename === ':memory:' || this.filename === '' || this.checkpointer) return
    this.db.exec('PRAGMA wal_autocheckpoint = 0')
    const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { filename: this.filename } })
    worker.unref()
    let waiting: ((walFrames: number) => void) | undefined
    const answer = (walFrames: number) => {
      const resolve = waiting
      waiting = undefined
      resolve?.(walFrames)
    }
    const checkpoint = () => new Promise<number>((resolve) => {
      waiting = resolve
      worker.postMessage('checkpoint')
    })
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      checkpoint()
        .then((walFrames) => (walFrames >= WAL_REWIND_FRAMES ? exclusive(async () => void (await checkpoint())) : undefined))
        .catch(() => undefined)
        .finally(() => {
          running = false
        })
    }, 200)
    timer.unref()
    const fallBack = () => {
      clearInterval(timer)
      answer(0)
      if (this.checkpointer !== worker) return
      this.checkpointer = undefined
      try {
        this.db.exec('PRAGMA wal_autocheckpoint = 1000')
      } catch {
        // the connection is already closed
      }
    }
    worker.on('message', answer)
    worker.on('error', fallBack)
    worker.on('exit', fallBack)
    this.checkpointer = worker
    this.stopCheckpoints = () => {
      clearInterval(timer)
      answer(0)
    }
  }

  private stopCheckpoints: () => void = () => undefined

  prepare(sql: string): Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      try {
        statement = new Statement(this.db.prepare(sql))
      } catch (err) {
        throw asDriverError(err)
      }
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear()
      this.statements.set(sql, statement)
    }
    return statement
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql)
    } catch (err) {
      throw asDriverError(err)
    }
  }

  close(): void {
    const checkpointer = this.checkpointer
    this.checkpointer = undefined
    this.stopCheckpoints()
    void checkpointer?.terminate()
    this.statements.clear()
    this.db.close()
  }
}

// knex has no typings for its dialect classes; this is the public better-sqlite3 dialect.
const ClientBetterSqlite3 = require('knex/lib/dialects/better-sqlite3/index.js') as new (config: unknown) => object

/** A knex client class: `knex({ client: NodeSqliteClient, connection: { filename } })`. */
export class NodeSqliteClient extends ClientBetterSqlite3 {
  _driver(): typeof DatabaseSyncType {
    return loadNodeSqlite().DatabaseSync
  }

  async acquireRawConnection(): Promise<NodeSqliteConnection> {
    const self = this as unknown as { driver: typeof DatabaseSyncType; connectionSettings: { filename: string } }
    return new NodeSqliteConnection(self.connectionSettings.filename, self.driver)
  }

  async destroyRawConnection(connection: NodeSqliteConnection): Promise<void> {
    connection.close()
  }
}
