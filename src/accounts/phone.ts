/** Mainland China mobile numbers: 11 digits starting 1[3-9]; an optional +86 / 86 prefix is dropped. */
export function parsePhone(input: string): { ok: true; value: string } | { ok: false } {
  const value = input.trim().replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '')
  return /^1[3-9]\d{9}$/.test(value) ? { ok: true, value } : { ok: false }
}
