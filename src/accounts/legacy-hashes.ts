/*
 * Password hashes of the prefecture and county systems whose accounts are imported (issue 4).
 * They are stored as imported and verified here until the person's first successful sign-in,
 * which replaces them with argon2id (persons.authenticateWithPassword rehashes). Accepted
 * stored forms (docs/account-import.md):
 *
 *   bcrypt           $2a$ / $2b$ / $2y$ modular crypt, as bcrypt libraries write it (cost 04-15)
 *   PBKDF2-SHA256    $pbkdf2-sha256$<rounds>$<salt>$<checksum>   (passlib; adapted base64, '.' for '+'; ≤ 1 000 000 rounds)
 *                    pbkdf2_sha256$<rounds>$<salt>$<base64 hash> (Django; the salt is used as text)
 *   salted SHA-256   $sha256-salted$<ps|sp>$<salt base64url>$<hex digest>
 *   salted MD5       $md5-salted$<ps|sp>$<salt base64url>$<hex digest>
 *                    ps = H(password ‖ salt), sp = H(salt ‖ password); UTF-8 bytes
 *
 * Legacy systems hashed the password as typed, so it is not NFKC-normalised here.
 */
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import * as bcrypt from 'bcryptjs'

const pbkdf2Async = promisify(pbkdf2)

export const LEGACY_HASH_FORMATS = ['bcrypt', 'pbkdf2-sha256', 'sha256-salted', 'md5-salted'] as const
export type LegacyHashFormat = (typeof LEGACY_HASH_FORMATS)[number]

// Work factors are capped (bcrypt cost ≤ 15, PBKDF2 ≤ 1 000 000 rounds): an imported hash must
// not turn one sign-in attempt into minutes of CPU.
const BCRYPT = /^\$2[aby]\$(0[4-9]|1[0-5])\$[./A-Za-z0-9]{53}$/
const MAX_PBKDF2_ROUNDS = 1_000_000
const PASSLIB_PBKDF2 = /^\$pbkdf2-sha256\$(\d{1,7})\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]{16,})$/
const DJANGO_PBKDF2 = /^pbkdf2_sha256\$(\d{1,7})\$([^$]{1,128})\$([A-Za-z0-9+/]{16,}={0,2})$/
const SALTED = /^\$(sha256|md5)-salted\$(ps|sp)\$([A-Za-z0-9_-]*)\$([0-9a-f]+)$/

/** The legacy format of a stored hash, or undefined (argon2id or unknown). */
export function legacyFormatOf(stored: string): LegacyHashFormat | undefined {
  if (BCRYPT.test(stored)) return 'bcrypt'
  const pbkdf2 = PASSLIB_PBKDF2.exec(stored) ?? DJANGO_PBKDF2.exec(stored)
  if (pbkdf2) return Number(pbkdf2[1]) >= 1 && Number(pbkdf2[1]) <= MAX_PBKDF2_ROUNDS ? 'pbkdf2-sha256' : undefined
  const salted = SALTED.exec(stored)
  if (salted) {
    const expectedHex = salted[1] === 'sha256' ? 64 : 32
    if (salted[4].length === expectedHex) return salted[1] === 'sha256' ? 'sha256-salted' : 'md5-salted'
  }
  return undefined
}

export async function verifyLegacyHash(stored: string, password: string): Promise<boolean> {
  const format = legacyFormatOf(stored)
  if (format === 'bcrypt') return bcrypt.compare(password, stored.replace(/^\$2y\$/, '$2b$'))
  if (format === 'pbkdf2-sha256') return verifyPbkdf2(stored, password)
  if (format === 'sha256-salted' || format === 'md5-salted') {
    const [, algorithm, order, salt64, hex] = SALTED.exec(stored)!
    const salt = Buffer.from(salt64, 'base64url')
    const secret = Buffer.from(password, 'utf8')
    const digest = createHash(algorithm).update(order === 'ps' ? Buffer.concat([secret, salt]) : Buffer.concat([salt, secret])).digest()
    return safeEqual(digest, Buffer.from(hex, 'hex'))
  }
  return false
}

async function verifyPbkdf2(stored: string, password: string): Promise<boolean> {
  const passlib = PASSLIB_PBKDF2.exec(stored)
  let rounds: number
  let salt: Buffer
  let expected: Buffer
  if (passlib) {
    rounds = Number(passlib[1])
    salt = fromAdaptedBase64(passlib[2])
    expected = fromAdaptedBase64(passlib[3])
  } else {
    const django = DJANGO_PBKDF2.exec(stored)!
    rounds = Number(django[1])
    salt = Buffer.from(django[2], 'utf8')
    expected = Buffer.from(django[3], 'base64')
  }
  if (rounds < 1 || rounds > MAX_PBKDF2_ROUNDS || expected.length < 16) return false
  const actual = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, rounds, expected.length, 'sha256')
  return safeEqual(actual, expected)
}

/**
 * Builds the stored form of a salted SHA-256 or MD5 hash from the legacy system's columns:
 * its hex (or base64) digest, its salt as stored there, and whether the salt was appended
 * (suffix: H(password ‖ salt), the usual case) or prepended.
 */
export function storedSaltedHash(format: 'sha256-salted' | 'md5-salted', digest: string, salt: string, position: 'suffix' | 'prefix'): string | undefined {
  const length = format === 'sha256-salted' ? 32 : 16
  let bytes: Buffer | undefined
  if (/^[0-9a-fA-F]+$/.test(digest) && digest.length === length * 2) bytes = Buffer.from(digest, 'hex')
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(digest) && Buffer.from(digest, 'base64').length === length) bytes = Buffer.from(digest, 'base64')
  if (!bytes) return undefined
  const algorithm = format === 'sha256-salted' ? 'sha256' : 'md5'
  return `$${algorithm}-salted$${position === 'prefix' ? 'sp' : 'ps'}$${Buffer.from(salt, 'utf8').toString('base64url')}$${bytes.toString('hex')}`
}

function fromAdaptedBase64(value: string): Buffer {
  return Buffer.from(value.replace(/\./g, '+'), 'base64')
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
