/*
 * Resident ID numbers (居民身份证号码, GB 11643-1999): 6-digit area code, 8-digit birth date,
 * 3-digit sequence, and an ISO 7064 MOD 11-2 check character (0-9 or X). The area code may be
 * a retired one, so it is checked for shape only, never against the current division list.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
const CHECK_CHARS = '10X98765432'

export type IdNumberProblem = 'format' | 'birth_date' | 'checksum'

/** The check character for the first 17 digits. */
export function idNumberCheckChar(first17: string): string {
  let sum = 0
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i]
  return CHECK_CHARS[sum % 11]
}

/** Normalises (trim, lowercase x -> X) and validates; returns the number or the problem. */
export function parseIdNumber(input: string, today = new Date()): { ok: true; value: string } | { ok: false; problem: IdNumberProblem } {
  const value = input.trim().toUpperCase()
  if (!/^[1-9]\d{5}\d{8}\d{3}[\dX]$/.test(value)) return { ok: false, problem: 'format' }
  if (!isRealBirthDate(value.slice(6, 14), today)) return { ok: false, problem: 'birth_date' }
  if (idNumberCheckChar(value.slice(0, 17)) !== value[17]) return { ok: false, problem: 'checksum' }
  return { ok: true, value }
}

function isRealBirthDate(yyyymmdd: string, today: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4))
  const month = Number(yyyymmdd.slice(4, 6))
  const day = Number(yyyymmdd.slice(6, 8))
  if (year < 1900) return false
  const date = new Date(Date.UTC(year, month - 1, day))
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  return real && date.getTime() <= today.getTime()
}

/** `2301**********1230`: the first four and last four characters, never more. */
export function maskIdNumber(idNumber: string): string {
  return `${idNumber.slice(0, 4)}${'*'.repeat(Math.max(idNumber.length - 8, 0))}${idNumber.slice(-4)}`
}
