/*
 * Personal data never enters the trail in clear: ID numbers and mobile numbers inside any
 * string are masked, and fields that name a secret are dropped whole (passwords, codes,
 * tokens). The trail is read by auditors who are not entitled to the data itself.
 */
const SECRET_KEY = /pass(word)?|secret|token|code_verifier|^code$|otp|totp|recovery|cookie|authorization/i
const ID_NUMBER = /(?<![0-9A-Za-z])([1-9]\d{3})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])/g
const PHONE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g

export function maskText(value: string): string {
  // Both patterns need 11 digits in a row (a mobile number; an ID number has 17 before its
  // check character). Most fields (client ids, addresses, user agents) have none, and this
  // scan is what every audit record pays for each of them instead of two regex replaces.
  if (!hasDigitRun(value, 11)) return value
  return value.replace(ID_NUMBER, '$1**********$2').replace(PHONE, '$1****$2')
}

function hasDigitRun(value: string, length: number): boolean {
  let run = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    run = c >= 48 && c <= 57 ? run + 1 : 0
    if (run === length) return true
  }
  return false
}

export function maskDetails(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]'
  if (typeof value === 'string') return maskText(value.length > 500 ? `${value.slice(0, 500)}…` : value)
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => maskDetails(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? '[redacted]' : maskDetails(inner, depth + 1)
    }
    return out
  }
  return value
}
