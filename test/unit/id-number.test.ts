import assert from 'node:assert/strict'
import { idNumberCheckChar, maskIdNumber, parseIdNumber } from '../../src/accounts/index.js'

describe('resident ID numbers (GB 11643)', () => {
  it('accepts a valid number and computes the MOD 11-2 check character', () => {
    assert.equal(idNumberCheckChar('11010519491231002'), 'X')
    assert.deepEqual(parseIdNumber('11010519491231002X'), { ok: true, value: '11010519491231002X' })
  })
  it('normalises a lowercase x', () => {
    assert.deepEqual(parseIdNumber(' 11010519491231002x '), { ok: true, value: '11010519491231002X' })
  })
  it('rejects a wrong check character, an impossible date and a bad shape', () => {
    assert.deepEqual(parseIdNumber('110105194912310021'), { ok: false, problem: 'checksum' })
    assert.deepEqual(parseIdNumber('110105194902300021'), { ok: false, problem: 'birth_date' })
    assert.deepEqual(parseIdNumber('1101051949123100'), { ok: false, problem: 'format' })
  })
  it('accepts 29 February only in leap years', () => {
    const leap = `2301021988022900${'1'}`
    assert.equal(parseIdNumber(leap + idNumberCheckChar(leap)).ok, true)
    const notLeap = `2301021989022900${'1'}`
    assert.deepEqual(parseIdNumber(notLeap + idNumberCheckChar(notLeap)), { ok: false, problem: 'birth_date' })
  })
  it('masks all but the first and last four characters', () => {
    assert.equal(maskIdNumber('230102199001011230'), '2301**********1230')
  })
})
