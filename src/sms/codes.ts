/*
 * One-time SMS codes: 6 random digits, stored as a keyed hash, single use, short-lived, burnt
 * after a few wrong guesses, and rate-limited per phone and per client IP (counters shared in the
 * database). Sending a new code retires the earlier ones for the same phone and purpose.
 */
import { randomInt, timingSafeEqual } from 'node:crypto'
import { hmacSha256 } from '../shared/crypto.js'
import type { Logger } from 'pino'
import { SmsError } from './errors.js'
import type { SmsGateway, SmsPurpose } from './gateway.js'
import { maskPhone } from './gateway.js'

export interface SmsCodeStore {
  insertCode(row: { id: string; phone: string; purpose: string; codeHash: string; attempts: number; createdAt: number; expiresAt: number; consumedAt: number | null }): Promise<void>
  findLiveCode(phone: string, purpose: string, now: number): Promise<{ id: string; codeHash: string } | undefined>
  recordAttempt(id: string): Promise<number>
  consume(id: string, now: number): Promise<boolean>
}

/** The part of a rate limiter this module needs (see accounts/rate-limiter.ts). */
export interface Limiter {
  /** Counts one event before it happens: `over` when the limit was used up, `release` takes it back. */
  reserve(subject: string): Promise<{ over: boolean; release: () => Promise<void> }>
}

export interface SmsCodeSettings {
  codeTtlSeconds: number
  codeMaxAttempts: number
}

export interface SmsCodesDeps {
  store: SmsCodeStore
  gateway: SmsGateway
  limits: { perPhone: Limiter; perPhoneBurst: Limiter; perIp: Limiter }
  settings: SmsCodeSettings
  hashKey: Buffer
  logger: Logger
  newId: () => string
  now?: () => number
}

export type SmsCodes = ReturnType<typeof createSmsCodes>

export function createSmsCodes(deps: SmsCodesDeps) {
  const now = deps.now ?? Date.now
  return { sendCode, verifyCode }

  /**
   * Sends a fresh code to `phone` for `purpose`; throws SMS_TOO_MANY or SMS_SEND_FAILED. With
   * `deliver: false` (an unregistered phone asking for a sign-in code) the limits are checked and
   * counted the same way but nothing is sent, so the limits do not reveal which numbers exist.
   */
  async function sendCode(phone: string, purpose: SmsPurpose, ip: string, options: { deliver?: boolean } = {}): Promise<void> {
    const { perPhone, perPhoneBurst, perIp } = deps.limits
    // Counted first, then judged: checking before counting let a burst of parallel requests all
    // pass (and all send). A refused request gives its counts back, as it sent nothing.
    const counted = await Promise.all([perIp.reserve(ip), perPhone.reserve(phone), perPhoneBurst.reserve(phone)])
    if (counted.some((c) => c.over)) {
      await Promise.all(counted.map((c) => c.release()))
      deps.logger.info({ event: 'sms.rate_limited', purpose, phone: maskPhone(phone) }, 'sms code refused: rate limit')
      throw SmsError.TOO_MANY()
    }
    if (options.deliver === false) return
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const id = deps.newId()
    const at = now()
    await deps.store.insertCode({ id, phone, purpose, codeHash: hash(id, code), attempts: 0, createdAt: at, expiresAt: at + deps.settings.codeTtlSeconds * 1000, consumedAt: null })
    try {
      await deps.gateway.send({ phone, template: purpose, params: { code, minutes: String(Math.ceil(deps.settings.codeTtlSeconds / 60)) } })
    } catch (err) {
      deps.logger.warn({ event: 'sms.failed', purpose, phone: maskPhone(phone), err: (err as Error).message }, 'sms send failed')
      throw SmsError.SEND_FAILED()
    }
  }

  /**
   * Checks and consumes the live code; true only once per code. A wrong guess counts against
   * the code, and after codeMaxAttempts guesses the code is burnt even if the next one is right.
   */
  async function verifyCode(phone: string, purpose: SmsPurpose, code: string): Promise<boolean> {
    const candidate = (code ?? '').trim()
    const live = await deps.store.findLiveCode(phone, purpose, now())
    if (!live) return false
    const attempts = await deps.store.recordAttempt(live.id)
    if (attempts > deps.settings.codeMaxAttempts) {
      await deps.store.consume(live.id, now())
      return false
    }
    if (!/^\d{6}$/.test(candidate)) return false
    const expected = Buffer.from(live.codeHash)
    const given = Buffer.from(hash(live.id, candidate))
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false
    return deps.store.consume(live.id, now())
  }

  function hash(id: string, code: string): string {
    return hmacSha256(deps.hashKey, `sms-code\0${id}\0${code}`)
  }
}
