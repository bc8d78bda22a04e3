/*
 * The database handle. SQLite is the embedded default (one file under dataDir, WAL mode, driven
 * through Node's built-in node:sqlite: see node-sqlite.ts);
 * a postgres:// URL selects PostgreSQL for multi-node deployments. Every dialect quirk
 * stays in src/store/.
 */
import { mkdirSync } from 'node:fs'
import { userInfo } from 'node:os'
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import type { Config } from '../config/index.js'
import { NodeSqliteClient, type NodeSqliteConnection } from './node-sqlite.js'
import { PROJECT_ROOT } from '../config/index.js'

// PostgreSQL returns int8 as strings by default; our int8 columns hold epoch milliseconds.
pg.types.setTypeParser(20, (value: string) => Number.parseInt(value, 10))

export type Db = Knex

/** Where knex's own warnings go (pino's shape); without it, knex prints to the console. */
export interface DbLogger {
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
  debug(fields: object, message: string): void
}

export function createDb(dbConfig: Config['db'], options: { logger?: DbLogger } = {}): Db {
  if (dbConfig.client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: withDefaultUser(dbConfig.url),
      searchPath: dbConfig.schema ? [dbConfig.schema] : undefined,
      pool: { min: 0, max: dbConfig.poolMax },
      acquireConnectionTimeout: 10_000,
      // While PostgreSQL is away knex warns on every failed connection attempt, stack included;
      // as raw console text that would break the server's one-JSON-object-per-line log.
      log: options.logger ? knexLog(options.logger) : undefined,
    })
  }
  const filename = sqliteFilename(dbConfig.url)
  if (filename !== ':memory:') mkdirSync(path.dirname(filename), { recursive: true })
  const db: Knex = knexFactory({
    // node:sqlite behind knex's better-sqlite3 dialect; why, in node-sqlite.ts.
    client: NodeSqliteClient as never,
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite has one writer, and a single connection keeps transactions simple.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: NodeSqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        const pragmas = [
          // First: switching to WAL needs a lock, and another connection to the file (a CLI
          // command, a restarting server) must make it wait, not fail with SQLITE_BUSY.
          'PRAGMA busy_timeout = 5000',
          // Takes effect only on a new, empty database file (an existing one keeps its size).
          // Each commit appends every page it changed to the WAL, and a token request changes a
          // handful of index leaves by a few dozen bytes each: halving the page halves what each
          // commit writes and checksums (the benchmark's small-batch commits cost ~20 % less).
          `PRAGMA page_size = ${SQLITE_PAGE_SIZE}`,
          'PRAGMA journal_mode = WAL',
          `PRAGMA synchronous = ${dbConfig.sqliteSynchronous}`,
          'PRAGMA foreign_keys = ON',
        ]
        try {
          conn.exec(pragmas.join(';'))
          conn.startBackgroundCheckpoints(async (work) => {
            // Holding the pool's only connection pauses other queries (asynchronously) meanwhile.
            const held = await db.client.acquireConnection()
            try {
              await work()
            } finally {
              await db.client.releaseConnection(held)
            }
          })
          done(null, conn)
        } catch (err) {
          done(err as Error, conn)
        }
      },
    },
  })
  return db
}

/** Bytes per SQLite page for new databases (SQLite's default is 4096); see the pragma above. */
const SQLITE_PAGE_SIZE = 2048

function knexLog(logger: DbLogger) {
  const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message))
  return {
    warn: (message: unknown) => logger.warn({ source: 'knex' }, text(message)),
    error: (message: unknown) => logger.error({ source: 'knex' }, text(message)),
    deprecate: (method: string, alternative: string) => logger.warn({ source: 'knex' }, `${method} is deprecated, use ${alternative}`),
    debug: (message: unknown) => logger.debug({ source: 'knex' }, text(message)),
  }
}

/**
 * postgres://host/db without a user name: use the operating-system user, as psql and libpq do
 * (the pg driver only reads $USER, which service managers often leave unset).
 */
function withDefaultUser(url: string): string {
  const parsed = new URL(url)
  if (parsed.username || process.env.PGUSER) return url
  parsed.username = userInfo().username
  return parsed.toString()
}

/** PostgreSQL: at most this many connections in the statement pool (beside knex's `poolMax`). */
const STATEMENT_POOL_MAX = 4
const statementPools = new WeakMap<Db, pg.Pool>()

/**
 * PostgreSQL: a node-postgres pool beside knex's, for fast-sql's single autocommit statements
 * (the token paths). Acquiring a connection through knex (its client wrapper and tarn) made a
 * one-row statement cost ~28 µs of client CPU; through pg's own pool ~20–25 µs. Its connections
 * never run a transaction, so a statement can never slip into someone else's.
 * Same server and schema as `db` (search_path set at connection start-up, before any statement);
 * at most min(poolMax, 4) connections, opened on demand, ended when `db` is destroyed.
 */
export function statementPool(db: Db): pg.Pool {
  const existing = statementPools.get(db)
  if (existing) return existing
  // knex has parsed the URL into node-postgres's connection settings (host, user, ssl…).
  const config = db.client.config as { connection: pg.PoolConfig; searchPath?: string[]; pool?: { max?: number } }
  const schema = config.searchPath?.[0]
  const pool = new pg.Pool({
    ...config.connection,
    // libpq's options string: a backslash escapes a space or a backslash in the value.
    options: schema ? `-c search_path=${pg.escapeIdentifier(schema).replace(/[\\ ]/g, '\\$&')}` : undefined,
    max: Math.min(config.pool?.max ?? STATEMENT_POOL_MAX, STATEMENT_POOL_MAX),
    connectionTimeoutMillis: 10_000,
    // Idle connections do not keep a CLI command's process alive.
    allowExitOnIdle: true,
  })
  // A connection that dies while idle (database restart) is dropped by the pool and the next
  // statement opens a new one; without a listener the error would crash the process.
  pool.on('error', () => {})
  statementPools.set(db, pool)
  // db.destroy() is read-only; it ends knex's pool through its client, which ends this one too.
  const client = db.client as { destroy(callback?: unknown): Promise<void> }
  const destroyKnex = client.destroy.bind(client)
  client.destroy = async (callback?: unknown) => {
    statementPools.delete(db)
    await pool.end().catch(() => {})
    return destroyKnex(callback)
  }
  return pool
}

export function sqliteFilename(url: string): string {
  const file = url.replace(/^sqlite:(\/\/)?/, '')
  return file === ':memory:' || path.isAbsolute(file) ? file : path.resolve(PROJECT_ROOT, file)
}

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations')

export async function migrateLatest(db: Db): Promise<string[]> {
  const options = { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'] }
  return withSessionLock(db, STARTUP_LOCK_KEY, async () => {
    await ensureSchema(db)
    // knex takes its migration lock (a read, then a write, in one transaction) even with nothing
    // to run. On SQLite a CLI command started beside a busy server then failed with SQLITE_BUSY:
    // the server's commits invalidate the transaction's read snapshot, and SQLite does not wait
    // for that. Nothing pending: nothing written.
    const [, pending] = (await db.migrate.list(options)) as [unknown[], unknown[]]
    if (pending.length === 0) return []
    const [, applied] = await db.migrate.latest(options)
    return applied as string[]
  })
}

/** Arbitrary constant naming the start-up (migration) lock among the database's advisory locks. */
const STARTUP_LOCK_KEY = 0x0ed0_5747

/**
 * Runs `work` while holding a PostgreSQL session-level advisory lock named by `key` and the
 * schema (like the audit lock, so OneDoors on other schemas never wait on each other); other
 * processes asking for the same lock wait. Several nodes starting at once migrate one after the
 * other this way (knex's own migration lock fails at once instead of waiting, and two `create
 * schema if not exists` can collide). The lock is held on a connection of its own outside the
 * pool, so `work` keeps the whole pool; a process that dies holding it releases it with its
 * session. SQLite: `work` runs as is (one host, one writer).
 */
export async function withSessionLock<T>(db: Db, key: number, work: () => Promise<T>): Promise<T> {
  if (db.client.config.client !== 'pg') return work()
  const schema = (db.client.config as { searchPath?: string[] }).searchPath?.[0] ?? ''
  const conn = (await db.client.acquireRawConnection()) as pg.Client
  try {
    await conn.query('select pg_advisory_lock(hashtext($1), $2)', [schema, key])
    return await work()
  } finally {
    await db.client.destroyRawConnection(conn) // ending the session releases the lock
  }
}

export async function migrateRollbackAll(db: Db): Promise<string[]> {
  const [, rolledBack] = await db.migrate.rollback({ directory: MIGRATIONS_DIR, loadExtensions: ['.ts'] }, true)
  return rolledBack as string[]
}

/** Creates the configured PostgreSQL schema on first use. */
async function ensureSchema(db: Db): Promise<void> {
  const searchPath = (db.client.config as { searchPath?: string[] }).searchPath
  if (db.client.config.client === 'pg' && searchPath?.[0]) {
    await db.raw('create schema if not exists ??', [searchPath[0]])
  }
}

export async function pingDb(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1')
    return true
  } catch {
    return false
  }
}
