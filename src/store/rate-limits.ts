/*
 * Shared counters for rate limits (table rate_limits). Increments are single atomic upserts, so
 * concurrent requests on any number of processes never lose a count.
 */
import type { Knex } from 'knex'
import type { Transaction } from '../shared/transaction.js'
import type { Db } from './db.js'
import { createFastSql, statement, type Statement } from './fast-sql.js'

/**
 * `sum` answers the rate limiter's `count` and `isBlocked` (a password sign-in's reservation reads
 * the previous window with its increment instead, see INCREMENT_BESIDE): a prepared statement per
 * number of keys (always two from the rate limiter) instead of building it with knex each time.
 */
const sumStatements = new Map<number, Statement>()
function sumStatement(keys: number): Statement {
  let s = sumStatements.get(keys)
  if (!s) {
    s = statement(`rate_limit_sum_${keys}`, `select sum("count") as total from rate_limits where "key" in (${Array(keys).fill('?').join(', ')}) and expires_at > ?`)
    sumStatements.set(keys, s)
  }
  return s
}

/**
 * One statement, so that an attempt can be counted before it is checked (see the rate limiter's
 * `reserve`) at the cost of a single write, which also reads the previous window's counter: a
 * password sign-in reserves a place per account and per IP, and these were four round trips on
 * PostgreSQL. RETURNING needs SQLite 3.35; its subquery sees the counters as they were before
 * this statement, and reads another row than the one it writes.
 */
const INCREMENT_BESIDE = statement(
  'rate_limit_increment_beside',
  'insert into rate_limits ("key", "count", expires_at) values (?, 1, ?) on conflict ("key") do update set "count" = rate_limits."count" + 1 returning "count", (select coalesce(sum(p."count"), 0) from rate_limits p where p."key" = ? and p.expires_at > ?) as previous',
)
const DECREMENT = statement('rate_limit_decrement', 'update rate_limits set "count" = "count" - 1 where "key" = ? and "count" > 0')

const removeStatements = new Map<number, Statement>()
function removeStatement(keys: number): Statement {
  let s = removeStatements.get(keys)
  if (!s) {
    s = statement(`rate_limit_remove_${keys}`, `delete from rate_limits where "key" in (${Array(keys).fill('?').join(', ')})`)
    removeStatements.set(keys, s)
  }
  return s
}

export type RateLimitStore = ReturnType<typeof createRateLimitStore>

export function createRateLimitStore(db: Db, now: () => number = Date.now) {
  const sql = createFastSql(db)
  return { incrementBeside, decrement, sum, remove, deleteExpired }

  /**
   * Adds one to `key`'s counter (created with `expiresAt` if absent) and returns the new count,
   * with the live count of `previousKey`.
   */
  async function incrementBeside(key: string, expiresAt: number, previousKey: string): Promise<{ count: number; previous: number }> {
    const values = [key, expiresAt, previousKey, now()]
    const [row] = sql.isPg ? await sql.rows(INCREMENT_BESIDE, values) : await sql.sqliteTransaction((session) => session.rows(INCREMENT_BESIDE, values))
    return { count: Number(row?.count ?? 1), previous: Number(row?.previous ?? 0) }
  }

  /** Takes one back from the counter (never below zero). */
  async function decrement(key: string): Promise<void> {
    await sql.run(DECREMENT, [key])
  }

  /** The sum of the live counters among `keys`. */
  async function sum(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    const [row] = await sql.rows(sumStatement(keys.length), [...keys, now()])
    return Number(row?.total ?? 0)
  }

  /** Deletes the counters; inside the caller's `tx` when given (an unlock and its audit record). */
  async function remove(keys: string[], tx?: Transaction): Promise<void> {
    if (tx) await (tx as Knex)('rate_limits').whereIn('key', keys).delete()
    // Every successful password sign-in clears its account's counters: a prepared statement.
    else if (keys.length > 0) await sql.run(removeStatement(keys.length), keys)
  }

  async function deleteExpired(): Promise<number> {
    return db('rate_limits').where('expires_at', '<=', now()).delete()
  }
}
