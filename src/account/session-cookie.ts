/*
 * The account centre's own session: a signed (HMAC-SHA-256 with the cookie keys, newest first,
 * older ones still verify), HttpOnly, SameSite=Lax cookie scoped to /account. It carries the
 * person's id, the login time of the OneDoor session it came from, an expiry and a CSRF token;
 * nothing personal. The OneDoor session remains the authority: see require-session.ts.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Context } from 'koa'
import { hmacSha256 } from '../shared/crypto.js'

export interface CookieCodec {
  write<T extends object>(ctx: Context, name: string, value: T, maxAgeSeconds: number): void
  read<T extends object>(ctx: Context, name: string): T | undefined
  clear(ctx: Context, name: string): void
}

export function createCookieCodec(options: { keys: readonly string[]; secure: boolean; path: string }): CookieCodec {
  // Buffers made once, so that hmacSha256 keeps one KeyObject per key (src/shared/crypto.ts).
  const secrets = new Map(options.keys.map((key) => [key, Buffer.from(key)]))
  return { write, read, clear }

  function sign(key: string, body: string): string {
    return hmacSha256(secrets.get(key) ?? Buffer.from(key), body)
  }

  function write<T extends object>(ctx: Context, name: string, value: T, maxAgeSeconds: number): void {
    const body = Buffer.from(JSON.stringify({ ...value, exp: Date.now() + maxAgeSeconds * 1000 })).toString('base64url')
    ctx.cookies.set(name, `${body}.${sign(options.keys[0], body)}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      path: options.path,
      maxAge: maxAgeSeconds * 1000,
      signed: false,
      overwrite: true,
    })
  }

  function read<T extends object>(ctx: Context, name: string): T | undefined {
    const raw = ctx.cookies.get(name, { signed: false })
    if (!raw) return undefined
    const [body, mac] = raw.split('.')
    if (!body || !mac) return undefined
    const given = Buffer.from(mac)
    const valid = options.keys.some((key) => {
      const expected = Buffer.from(sign(key, body))
      return expected.length === given.length && timingSafeEqual(expected, given)
    })
    if (!valid) return undefined
    try {
      const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T & { exp?: number }
      return typeof value.exp === 'number' && value.exp > Date.now() ? value : undefined
    } catch {
      return undefined
    }
  }

  function clear(ctx: Context, name: string): void {
    ctx.cookies.set(name, '', { httpOnly: true, sameSite: 'lax', secure: options.secure, path: options.path, maxAge: 0, overwrite: true })
  }
}
