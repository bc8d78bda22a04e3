/*
 * Masking of personal data in audit text (src/audit/mask.ts). maskText skips its two regex
 * replaces when a string has no run of 11 digits; these cases pin what it masks, and a seeded
 * random comparison shows the shortcut answers exactly as the replaces alone would.
 */
import assert from 'node:assert/strict'
import { maskText } from '../../src/audit/mask.js'

/** The masking without the shortcut: the reference the shortcut must agree with. */
function maskByReplaceOnly(value: string): string {
  return value
    .replace(/(?<![0-9A-Za-z])([1-9]\d{3})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])/g, '$1**********$2')
    .replace(/(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g, '$1****$2')
}

describe('masking personal data in audit text', () => {
  it('masks mobile and ID numbers wherever they stand in the text', () => {
    assert.equal(maskText('13912345678'), '139****5678')
    assert.equal(maskText('call 13912345678.'), 'call 139****5678.')
    assert.equal(maskText('23010219900101123X'), '2301**********123X')
    assert.equal(maskText('id=230102199001011237,phone=15800001111'), 'id=2301**********1237,phone=158****1111')
  })

  it('leaves text without 11 digits in a row as it is', () => {
    for (const text of ['', 'client-7f3a', '10.0.0.12', '1391234567', '139 1234 5678', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.8078.73']) {
      assert.equal(maskText(text), text)
    }
  })

  it('does not mask a longer run of digits as a mobile number', () => {
    assert.equal(maskText('139123456780'), '139123456780')
  })

  it('answers exactly as the regex replaces alone for random text', () => {
    let seed = 20261129
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    const digits = (n: number) => Array.from({ length: n }, () => String(next(10))).join('')
    // Pieces that make phone and ID shapes, near misses (runs of 9 to 20 digits) and the
    // characters the patterns look at on either side of them.
    const pieces = [() => `1${3 + next(7)}${digits(9)}`, () => `${1 + next(9)}${digits(16)}${'0123456789Xx'[next(12)]}`, () => digits(9 + next(12)), () => 'Xx-: aZ9'[next(8)]]
    let masked = 0
    for (let i = 0; i < 20_000; i++) {
      let text = ''
      for (let j = next(5); j >= 0; j--) text += pieces[next(pieces.length)]()
      const expected = maskByReplaceOnly(text)
      if (expected !== text) masked++
      assert.equal(maskText(text), expected, JSON.stringify(text))
    }
    assert.ok(masked > 2000, `the random texts include many that mask (${masked})`)
  })
})
