/*
 * Cookie signatures for oidc-provider's koa cookies (`cookies.keys`), in exactly the format of
 * the `keygrip` package koa uses by default (HMAC-SHA1, base64url without padding, first key
 * signs, every key verifies), so cookies issued before and after this change stay valid.
 *
 * Why not keygrip itself: every verification goes through `tsscmp`, which draws 32 random bytes
 * and computes two more HMACs to compare two strings, and each step of a sign-in reads two or
 * three signed cookies. A constant-time comparison of the two digests (crypto.timingSafeEqual)
 * is just as safe and costs one HMAC per key. The digest length is fixed, so comparing lengths
 * first reveals nothing.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'

export class CookieKeygrip {
  private readonly keys: KeyObject[]

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('cookie keys must not be empty')
    this.keys = keys.map((key) => createSecretKey(Buffer.from(key, 'utf8')))
  }

  sign(data: string): string {
    return digest(data, this.keys[0])
  }

  verify(data: string, signature: string): boolean {
    return this.index(data, signature) > -1
  }

  /** The index of the key that signed `data` (0 = current), or -1. */
  index(data: string, signature: string): number {
    const remote = Buffer.from(String(signature), 'utf8')
    for (let i = 0; i < this.keys.length; i += 1) {
      const local = Buffer.from(digest(data, this.keys[i]), 'utf8')
      if (local.length === remote.length && timingSafeEqual(local, remote)) return i
    }
    return -1
  }
}

function digest(data: string, key: KeyObject): string {
  return createHmac('sha1', key).update(data).digest('base64url')
}
