/*
 * Password policy per role, after NIST SP 800-63B §3.1.1.2 (rev. 4 §5.1.1.2): a minimum length,
 * a generous maximum, any Unicode compared after NFKC normalisation, no composition rules, and a
 * screen against common/breached passwords and words from the context (the person's own data and
 * the service's name). Administrators get a stricter policy than residents.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AppError } from '../shared/errors.js'
import { AccountError } from './errors.js'
import { normalise } from './passwords.js'

export type PasswordRole = 'person' | 'admin'

export interface PasswordPolicy {
  role: PasswordRole
  /** Characters (code points after NFKC), not bytes. */
  minLength: number
  maxLength: number
  /** Shown as guidance: the length NIST recommends when the password alone signs in. */
  recommendedLength: number
}

export const PASSWORD_POLICIES: Readonly<Record<PasswordRole, Readonly<PasswordPolicy>>> = Object.freeze({
  person: Object.freeze({ role: 'person', minLength: 8, maxLength: 128, recommendedLength: 15 }),
  admin: Object.freeze({ role: 'admin', minLength: 15, maxLength: 128, recommendedLength: 20 }),
})

/** The service's own names: a password containing them is among the first an attacker tries. */
export const SERVICE_WORDS = ['onedoor', 'one door', '一扇门', '黑龙江', 'heilongjiang', '政务服务', 'zhengwu'] as const

let commonPasswords: Set<string> | undefined

// Loaded on first use, not at start: decompressing its dictionaries took ~80 ms and ~17 MiB of
// transient memory at every start, for a list only new passwords are checked against.
const require = createRequire(import.meta.url)

/**
 * The screening list: @zxcvbn-ts/language-common's `passwords-common` (about 49,000 passwords
 * from public breach corpora) plus data/common-passwords-zh.txt (passwords common among
 * Chinese-speaking users). Built on first use and kept.
 */
function commonPasswordSet(): Set<string> {
  if (!commonPasswords) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common')
    const extra = readFileSync(new URL('./data/common-passwords-zh.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
    commonPasswords = new Set([...dictionary['passwords-common'], ...extra].map((p) => p.toLowerCase()))
  }
  return commonPasswords
}

/**
 * Every problem with a new password, empty when it is acceptable. `context` holds the words the
 * password must not contain: the person's name, phone, document number and the like.
 */
export function checkPassword(policy: PasswordPolicy, password: string, context: readonly string[] = []): AppError[] {
  const value = normalise(password ?? '')
  const length = [...value].length
  const problems: AppError[] = []
  if (length < policy.minLength) problems.push(AccountError.PASSWORD_TOO_SHORT({ minLength: policy.minLength }))
  if (length > policy.maxLength) problems.push(AccountError.PASSWORD_TOO_LONG({ maxLength: policy.maxLength }))
  if (problems.length > 0) return problems
  const lower = value.toLowerCase()
  if (commonPasswordSet().has(lower) || isRepetitive(lower)) {
    problems.push(AccountError.PASSWORD_COMMON())
  } else if (containsContextWord(lower, [...context, ...SERVICE_WORDS])) {
    problems.push(AccountError.PASSWORD_CONTEXT())
  }
  return problems
}

/** `aaaaaaaa`, `abababab`, `12345678`, `87654321`: one character, a short cycle or a run. */
function isRepetitive(value: string): boolean {
  const chars = [...value]
  for (let cycle = 1; cycle <= 3; cycle += 1) {
    if (chars.every((ch, i) => ch === chars[i % cycle])) return true
  }
  const codes = chars.map((ch) => ch.codePointAt(0)!)
  const step = codes[1] - codes[0]
  return Math.abs(step) === 1 && codes.every((code, i) => i === 0 || code - codes[i - 1] === step)
}

function containsContextWord(password: string, words: readonly string[]): boolean {
  for (const word of words) {
    const w = normalise(word ?? '').toLowerCase().replace(/\s+/g, '')
    // CJK names are short (two characters is common); Latin words need four to mean anything.
    const minimum = /[\u3400-\u9fff]/.test(w) ? 2 : 4
    if (w.length >= minimum && password.replace(/\s+/g, '').includes(w)) return true
  }
  return false
}

/** Context words for a natural person: name, phone, document number and birth date. */
export function personContextWords(person: { name?: string; phone?: string; documentNumber?: string }): string[] {
  const words: string[] = []
  if (person.name) words.push(person.name)
  if (person.phone) words.push(person.phone, person.phone.slice(-8))
  if (person.documentNumber) {
    const number = person.documentNumber.includes(':') ? person.documentNumber.split(':')[1] : person.documentNumber
    words.push(number, number.slice(-8))
    if (/^\d{17}[\dX]$/.test(number)) words.push(number.slice(6, 14))
  }
  return words
}
