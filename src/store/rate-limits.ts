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

export type RateLimitStore = ReturnType<typeof createRateLimitStore>

export function createRateLimitStore(db: Db, now: () => number = Date.now) {
  const sql = createFastSql(db)
  return { increment, sum, remove, deleteExpired }

  /** Adds one to the counter (created with `expiresAt` if absent) and returns the new count. */
  async function increment(key: string, expiresAt: number): Promise<number> {
    await db('rate_limits')
      .insert({ key, count: 1, expires_at: expiresAt })
      .onConflict('key')
      .merge({ count: db.raw('?? + 1', ['rate_limits.count']) })
    const row = await db('rate_limits').select('count').where({ key }).first()
    return Number(row?.count ?? 1)
  }

  /** The sum of the live counters among `keys`. */
  async function sum(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    const [row] = await sql.rows(sumStatement(keys.length), [...keys, now()])
    return Number(row?.total ?? 0)
  }

  async function remove(keys: string[], tx?: Transaction): Promise<void> {
    await ((tx as Knex | undefined) ?? db)('rate_limits').whereIn('key', keys).delete()
  }

  async function deleteExpired(): Promise<number> {
    return db('rate_limits').where('expires_at', '<=', now()).delete()
  }
}
