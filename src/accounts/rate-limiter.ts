/*
 * Rate limits over shared counters (the database), so every server process sees the same state.
 * Two fixed windows are summed (this one and the previous one): a subject under the limit has
 * made fewer than `limit` hits in any span of one window, with no burst at window edges.
 * Subjects (phones, IPs, identifiers) are hashed before they become keys.
 */
import { hmacSha256 } from '../shared/crypto.js'
import type { Transaction } from '../shared/transaction.js'

export interface CounterStore {
  /**
   * Adds one to `key`'s counter (created with `expiresAt` if absent) and returns the new count,
   * with the live count of `previousKey` read in the same statement.
   */
  incrementBeside(key: string, expiresAt: number, previousKey: string): Promise<{ count: number; previous: number }>
  decrement(key: string): Promise<void>
  sum(keys: string[]): Promise<number>
  remove(keys: string[], tx?: Transaction): Promise<void>
}

export interface RateLimit {
  /** Short stable name, part of the key: 'signin-account', 'sms-phone'… */
  name: string
  limit: number
  windowSeconds: number
}

export type RateLimiter = ReturnType<typeof createRateLimiter>

export function createRateLimiter(deps: { store: CounterStore; hashKey: Buffer; now?: () => number }, rule: RateLimit) {
  const now = deps.now ?? Date.now
  const windowMs = rule.windowSeconds * 1000
  return { isBlocked, count, hit, reserve, reset, rule }

  function keys(subject: string): [current: string, previous: string, windowEnd: number] {
    const hashed = hmacSha256(deps.hashKey, `rate-limit\0${rule.name}\0${subject}`)
    const window = Math.floor(now() / windowMs)
    return [`${rule.name}:${hashed}:${window}`, `${rule.name}:${hashed}:${window - 1}`, (window + 1) * windowMs]
  }

  /** True when the subject has used up its allowance. */
  async function isBlocked(subject: string): Promise<boolean> {
    return (await count(subject)) >= rule.limit
  }

  /** The subject's hits in this window and the previous one. */
  async function count(subject: string): Promise<number> {
    const [current, previous] = keys(subject)
    return deps.store.sum([current, previous])
  }

  /** Counts one event; returns true when this event went over the limit. */
  async function hit(subject: string): Promise<boolean> {
    const [current, previous, windowEnd] = keys(subject)
    // Kept one extra window, so that it still counts as "previous" in the next one.
    const counts = await deps.store.incrementBeside(current, windowEnd + windowMs, previous)
    return counts.count + counts.previous > rule.limit
  }

  /**
   * Counts an attempt before it is made, so that attempts made at the same moment cannot all pass
   * a check that none of them has been counted in yet. `over` says the limit was already used up;
   * `release` takes this one count back (an attempt refused unmade, or one that did not fail).
   * Attempts still in flight count too, so more parallel attempts than the limit are refused even
   * if they would all have succeeded.
   */
  async function reserve(subject: string): Promise<{ over: boolean; release: () => Promise<void> }> {
    const [current, previous, windowEnd] = keys(subject)
    // This attempt's own place in the window, from the atomic increment: a sum read afterwards
    // would also count attempts made after this one and refuse them all.
    const { count: place, previous: earlier } = await deps.store.incrementBeside(current, windowEnd + windowMs, previous)
    const over = place + earlier > rule.limit
    return { over, release: () => deps.store.decrement(current) }
  }

  async function reset(subject: string, tx?: Transaction): Promise<void> {
    const [current, previous] = keys(subject)
    await deps.store.remove([current, previous], tx)
  }
}
