import assert from 'node:assert/strict'
import { orgCodeCheckChar, parseUscc, usccCheckChar } from '../../src/accounts/index.js'

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'

describe('unified social credit code (GB 32100) and organisation code (GB 11714)', () => {
  it('accepts published codes and derives the kind from authority and type', () => {
    assert.deepEqual(parseUscc('91350100M000100Y43'), { ok: true, value: '91350100M000100Y43', kind: 'enterprise' })
    assert.deepEqual(parseUscc('9111000010169286X1'), { ok: true, value: '9111000010169286X1', kind: 'enterprise' })
    assert.equal((parseUscc('92230103MA0000007K') as { kind: string }).kind, 'individual_business')
    assert.equal((parseUscc('1223000010000018XM') as { kind: string }).kind, 'public_institution')
  })

  it('normalises case and surrounding spaces', () => {
    assert.deepEqual(parseUscc(' 91350100m000100y43 '), { ok: true, value: '91350100M000100Y43', kind: 'enterprise' })
  })

  it('handles the code whose weighted sum is a multiple of 31 (check character 0, not 31)', () => {
    const code = '91230102MA00002690'
    let sum = 0
    for (let i = 0; i < 17; i += 1) sum += ALPHABET.indexOf(code[i]) * (3 ** i % 31)
    assert.equal(sum % 31, 0, 'the vector really has a sum divisible by 31')
    assert.equal(usccCheckChar(code.slice(0, 17)), '0')
    assert.equal(parseUscc(code).ok, true)
    assert.deepEqual(parseUscc('91230102MA0000269Y'), { ok: false, problem: 'checksum' })
  })

  it('checks the inner organisation code at position 17, including X', () => {
    assert.equal(orgCodeCheckChar('M000100Y'), '4')
    assert.equal(orgCodeCheckChar('10000018'), 'X')
    // A valid outer check computed over a wrong inner check still fails, on the inner check.
    const first17 = '91350100M000100Y5'
    assert.deepEqual(parseUscc(first17 + usccCheckChar(first17)), { ok: false, problem: 'org_code_checksum' })
  })

  it('rejects wrong check characters, letters outside the alphabet, wrong lengths and unknown types', () => {
    assert.deepEqual(parseUscc('91350100M000100Y44'), { ok: false, problem: 'checksum' })
    assert.deepEqual(parseUscc('91350100M000100Y4'), { ok: false, problem: 'format' })
    assert.deepEqual(parseUscc('91350100M000100Y43X'), { ok: false, problem: 'format' })
    for (const letter of ['I', 'O', 'S', 'V', 'Z']) assert.deepEqual(parseUscc(`91350100M000100Y4${letter}`), { ok: false, problem: 'format' }, letter)
    assert.deepEqual(parseUscc('9135010AM000100Y43'), { ok: false, problem: 'format' }, 'division code is digits')
    assert.deepEqual(parseUscc(''), { ok: false, problem: 'format' })
    const f17 = '99230102MA0000269'
    assert.deepEqual(parseUscc(f17 + usccCheckChar(f17)), { ok: false, problem: 'unknown_type' })
  })
})
