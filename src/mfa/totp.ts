/* Pure TOTP functions over otplib (RFC 6238, SHA-1, 6 digits, 30 s): no IO. */
import { generateSecret, generateSync, generateURI, verifySync } from 'otplib'

export const PERIOD_SECONDS = 30

export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

export function totpUri(secret: string, issuer: string, label: string): string {
  return generateURI({ issuer, label, secret, period: PERIOD_SECONDS })
}

/** The time step a 6-digit code matches at `nowMs` within ±window steps, or undefined. */
export function matchTotpStep(secret: string, code: string, nowMs: number, window: number): number | undefined {
  const token = code.replace(/\s/g, '')
  if (!/^\d{6}$/.test(token)) return undefined
  const result = verifySync({ secret, token, epoch: Math.floor(nowMs / 1000), period: PERIOD_SECONDS, epochTolerance: window * PERIOD_SECONDS })
  return result.valid && 'timeStep' in result ? result.timeStep : undefined
}

/** The code for a moment (tests and tools; the server never needs to produce codes). */
export function totpCodeAt(secret: string, atMs: number): string {
  return generateSync({ secret, epoch: Math.floor(atMs / 1000), period: PERIOD_SECONDS })
}
