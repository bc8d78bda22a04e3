/*
 * Pairwise subject identifiers (OIDC Core §8.1): sub = HMAC(key, sector, account). Systems of
 * one sector see the same sub; systems of different sectors cannot correlate a person by sub.
 * The key must never change: every sub of every pairwise client would change with it.
 */
import { hkdfSync } from 'node:crypto'
import { hmacSha256 } from '../shared/crypto.js'

/**
 * The HMAC key, derived (HKDF-SHA-256) from the configured blind-index secret, which already
 * may never rotate (it indexes ID numbers); a distinct `info` keeps the two uses independent.
 */
export function derivePairwiseKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'onedoor pairwise subject v1', 32))
}

export function pairwiseSubject(key: Buffer, sector: string, accountId: string): string {
  return hmacSha256(key, `${sector}\0${accountId}`)
}
