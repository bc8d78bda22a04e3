/* Recovery codes: 10 random characters from an unambiguous alphabet (~50 bits), shown once, stored as keyed hashes. */
import { randomInt } from 'node:crypto'
import { blindIndex } from '../shared/crypto.js'

const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ'

export function newRecoveryCodes(count: number): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/** Normalises what a person typed (case, spaces, dashes) so `abcde fghij` matches `ABCDE-FGHIJ`. */
export function normaliseRecoveryCode(input: string): string | undefined {
  const chars = input.toUpperCase().replace(/[\s-]/g, '')
  return /^[2-9A-HJ-NP-Z]{10}$/.test(chars) ? chars : undefined
}

export function hashRecoveryCode(key: Buffer, personId: string, code: string): string {
  return blindIndex(key, normaliseRecoveryCode(code) ?? code, `recovery-code:${personId}`)
}
