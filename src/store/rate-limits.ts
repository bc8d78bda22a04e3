/*
 * Shared counters for rate limits (table rate_limits). Increments are single atomic upserts, so
 * concurrent requests on any number of processes never lose a count.
 */
import type { Knex } from 'knex'
import type { Transaction } from '../shared/transaction.js'
import type { Db } from './db.js'
import { createFastSql, statement, type Statement } from './fast-sql.js'

/**
 * `sum` runs before every password sign-in (per account and per IP): a prepared statement per
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
 * One statement each, so that an attempt can be counted before it is checked (see the rate
 * limiter's `reserve`) at the cost of a single write; RETURNING needs SQLite 3.35.
 */
const INCREMENT = statement(
  'rate_limit_increment',
  'insert into rate_limits ("key", "count", expires_at) values (?, 1, ?) on conflict ("key") do update set "count" = rate_limits."count" + 1 returning "count"',
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
  return { increment, decrement, sum, remove, deleteExpired }

  /** Adds one to the counter (created with `expiresAt` if absent) and returns the new count. */
  async function increment(key: string, expiresAt: number): Promise<number> {
    const [row] = sql.isPg ? await sql.rows(INCREMENT, [key, expiresAt]) : await sql.sqliteTransaction((session) => session.rows(INCREMENT, [key, expiresAt]))
    return Number(row?.count ?? 1)
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
