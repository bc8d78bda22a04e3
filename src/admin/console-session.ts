/*
 * Console sessions: an unguessable cookie (Path=/admin, HttpOnly, SameSite=Strict) whose SHA-256
 * names a database row, so the 15-minute idle timeout holds across server processes and a
 * stolen database does not yield live cookies. Forms carry a CSRF token bound to the session.
 * The sign-in state (PKCE verifier, state, nonce) travels in a short-lived HMAC-signed cookie.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Context } from 'koa'
import { hmacSha256 } from '../shared/crypto.js'

export const SESSION_COOKIE = 'onedoor_admin'
export const LOGIN_COOKIE = 'onedoor_admin_login'

export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

export function sessionKey(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function createCookieSigner(key: string) {
  const secret = Buffer.from(key)
  const mac = (value: string) => hmacSha256(secret, value)
  const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
  return {
    sign: (value: string) => `${value}.${mac(value)}`,
    unsign(signed: string | undefined): string | undefined {
      if (!signed) return undefined
      const dot = signed.lastIndexOf('.')
      if (dot < 0) return undefined
      const value = signed.slice(0, dot)
      return equal(signed.slice(dot + 1), mac(value)) ? value : undefined
    },
    csrf: (sessionToken: string) => mac(`csrf:${sessionToken}`),
    csrfValid: (sessionToken: string, presented: unknown) => typeof presented === 'string' && equal(presented, mac(`csrf:${sessionToken}`)),
  }
}

export function cookieOptions(ctx: Context, sameSite: 'strict' | 'lax', maxAgeMs?: number) {
  return { path: '/admin', httpOnly: true, sameSite, secure: ctx.protocol === 'https', overwrite: true, signed: false, ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) }
}
