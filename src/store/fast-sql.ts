/*
 * Hot-path statements sent straight to a pooled connection, skipping knex's query builder and
 * runner. The oidc-provider adapter runs one to six single-row statements per token request and
 * the audit trail appends a record to each, and building each through knex cost more CPU than
 * executing it. A statement never slips into another caller's open transaction:
 * SQLite: the connection comes from knex's pool (SQLite has one connection; a transaction holds
 * it until it ends); statements prepared once per connection (node-sqlite.ts caches them); writes
 * are group-committed (see `sqliteWrites`).
 * PostgreSQL: sent on node-postgres's own pool (`statementPool`, whose connections never run a
 * transaction) as named prepared statements, parsed and planned once per connection.
 */
import { statementPool, type Db } from './db.js'
import type { NodeSqliteConnection } from './node-sqlite.js'

export interface Statement {
  name: string
  /** SQL with `?` placeholders, valid in SQLite and PostgreSQL. */
  sql: string
  /** The same with $1, $2… for PostgreSQL. */
  pgSql: string
  /** PostgreSQL: prepared once per connection under `name`; false for `select *` (see below). */
  named: boolean
}

/**
 * Declares a statement once, at module load. A `select *` is never a named prepared statement on
 * PostgreSQL: a column added by a newer node's migration would make its cached plan fail
 * ("cached plan must not change result type") on every older node still running.
 */
export function statement(name: string, sql: string): Statement {
  let n = 0
  return { name: `onedoor_${name}`, sql, pgSql: sql.replace(/\?/g, () => `$${++n}`), named: !/select\s+\*/i.test(sql) }
}

const pgQuery = (s: Statement, values: unknown[]) => (s.named ? { name: s.name, text: s.pgSql, values } : { text: s.pgSql, values })

/** Statements inside a synchronous SQLite transaction (see `sqliteTransaction`). */
export interface SyncSqlSession {
  rows(s: Statement, values: unknown[]): Record<string, unknown>[]
  run(s: Statement, values: unknown[]): number
}

interface KnexClient {
  acquireConnection(): Promise<unknown>
  releaseConnection(connection: unknown): Promise<void>
  /** knex's tarn pool. */
  pool?: { numUsed(): number; free: { resource: unknown }[] }
}

/**
 * SQLite: the single connection when nobody holds it (no transaction, no checkpoint round), for
 * statements that run synchronously and so cannot interleave with anyone; undefined otherwise.
 * Skips the pool's acquire/release, which cost more than a one-row read.
 */
function idleSqliteConnection(client: KnexClient): NodeSqliteConnection | undefined {
  const pool = client.pool
  if (!pool || pool.numUsed() > 0) return undefined
  return pool.free[0]?.resource as NodeSqliteConnection | undefined
}

export type FastSql = ReturnType<typeof createFastSql>

export function createFastSql(db: Db) {
  const client = db.client as unknown as KnexClient
  const isPg = db.client.config.client === 'pg'
  const writes = isPg ? undefined : sqliteWrites(db)
  const pgPool = isPg ? statementPool(db) : undefined

  return {
    isPg,
    /** Rows of a SELECT (or of a statement with RETURNING). */
    rows: (s: Statement, values: unknown[]): Promise<Record<string, unknown>[]> => {
      if (pgPool) return pgPool.query(pgQuery(s, values)).then((result) => result.rows)
      const idle = idleSqliteConnection(client)
      if (idle) return new Promise((resolve) => resolve(idle.prepare(s.sql).all(values)))
      return withConnection(client, async (conn) => (conn as NodeSqliteConnection).prepare(s.sql).all(values))
    },
    /** Number of rows changed by an INSERT, UPDATE or DELETE (committed when this resolves). */
    run: (s: Statement, values: unknown[]): Promise<number> =>
      pgPool ? pgPool.query(pgQuery(s, values)).then((result) => result.rowCount ?? 0) : writes!((session) => session.run(s, values)),
    /**
     * SQLite only: `work` runs synchronously and atomically (all of its statements or none), in
     * the next group commit; the promise settles once that committed.
     */
    sqliteTransaction: <T>(work: (session: SyncSqlSession) => T): Promise<T> => {
      if (!writes) throw new TypeError('sqliteTransaction needs SQLite')
      return writes(work)
    },
  }
}

async function withConnection<T>(client: KnexClient, work: (connection: unknown) => Promise<T>): Promise<T> {
  const connection = await client.acquireConnection()
  try {
    return await work(connection)
  } finally {
    await client.releaseConnection(connection)
  }
}

type Work = (session: SyncSqlSession) => unknown
interface Queued {
  work: Work
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** One group-commit queue per database handle, shared by every store that writes through fast-sql. */
const queues = new WeakMap<Db, <T>(work: (session: SyncSqlSession) => T) => Promise<T>>()

/**
 * SQLite write group commit. Every commit writes each page it touched (a token row touches one
 * leaf of the table and of each of its indexes) to the WAL again, and a token request made one
 * or two commits of its own. Writes asked for during one turn of the event loop are instead run
 * together at the next `setImmediate`, synchronously, in one BEGIN IMMEDIATE … COMMIT: nothing
 * else runs meanwhile and the write lock is never held across an await. Each caller's promise
 * settles only after the commit, so nothing is acknowledged before it is as durable as
 * `PRAGMA synchronous` makes it. If any work throws, the batch is rolled back and each work is
 * run again in a transaction of its own, so one failure never takes another caller's write with it.
 */
function sqliteWrites(db: Db) {
  const existing = queues.get(db)
  if (existing) return existing
  const client = db.client as unknown as KnexClient
  let queue: Queued[] = []

  const enqueue = <T>(work: (session: SyncSqlSession) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush)
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
    })
  queues.set(db, enqueue)
  return enqueue

  function flush(): void {
    const batch = queue
    queue = []
    const idle = idleSqliteConnection(client)
    if (idle) return commit(idle, batch)
    withConnection(client, async (conn) => commit(conn as NodeSqliteConnection, batch)).catch((err) => {
      // No connection (the pool is closing or broken): nothing was written.
      for (const item of batch) item.reject(err)
    })
  }

  function commit(c: NodeSqliteConnection, batch: Queued[]): void {
    const session: SyncSqlSession = { rows: (s, values) => c.prepare(s.sql).all(values), run: (s, values) => c.prepare(s.sql).run(values).changes }
    const settle: (() => void)[] = []
    try {
      inTransaction(c, () => {
        for (const item of batch) {
          const value = item.work(session)
          settle.push(() => item.resolve(value))
        }
      })
    } catch {
      settle.length = 0
      for (const item of batch) {
        try {
          const value = inTransaction(c, () => item.work(session))
          settle.push(() => item.resolve(value))
        } catch (err) {
          settle.push(() => item.reject(err))
        }
      }
    }
    for (const done of settle) done()
  }
}

function inTransaction<T>(c: NodeSqliteConnection, work: () => T): T {
  c.prepare('begin immediate').run([])
  try {
    const result = work()
    c.prepare('commit').run([])
    return result
  } catch (err) {
    try {
      c.prepare('rollback').run([])
    } catch {
      // SQLite already rolled the transaction back (e.g. on SQLITE_FULL)
    }
    throw err
  }
}
