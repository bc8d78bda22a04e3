/*
 * Synthetic identities of `onedoor seed` (issue 6): unique by construction, not by luck. The n-th
 * seeded person's ID number and phone and the n-th enterprise's credit code come from fixed
 * permutations, so no two numbers n collide whatever the seed, and every value is valid.
 */
import assert from 'node:assert/strict'
import { parseIdNumber, parsePhone, parseUscc } from '../../src/accounts/index.js'
import { MAX_SEEDED_PERSONS, seededIdNumber, seededPhone, seededUscc } from '../../src/seed/index.js'

describe('seeded identities', () => {
  // A window at the start and one at the end of the space: a non-bijective map would show here.
  const windows = [0, MAX_SEEDED_PERSONS - 50_000]

  it('gives 100,000 distinct, valid resident ID numbers, even with one area code for all', () => {
    const seen = new Set<string>()
    for (const start of windows) {
      for (let n = start; n < start + 50_000; n += 1) {
        const id = seededIdNumber(n, '230102')
        if (n % 97 === 0) assert.ok(parseIdNumber(id).ok, id)
        seen.add(id)
      }
    }
    assert.equal(seen.size, 100_000)
  })

  it('gives 100,000 distinct, valid mobile numbers', () => {
    const seen = new Set<string>()
    for (const start of windows) {
      for (let n = start; n < start + 50_000; n += 1) {
        const phone = seededPhone(n)
        if (n % 97 === 0) assert.ok(parsePhone(phone).ok, phone)
        seen.add(phone)
      }
    }
    assert.equal(seen.size, 100_000)
  })

  it('gives distinct, valid credit codes of each type', () => {
    const seen = new Set<string>()
    for (let n = 0; n < 30_000; n += 1) {
      const uscc = seededUscc(n, (['91', '92', '93'] as const)[n % 3], '230102')
      const parsed = parseUscc(uscc)
      assert.ok(parsed.ok, uscc)
      seen.add(uscc.slice(8, 16)) // the organisation code alone is already unique
    }
    assert.equal(seen.size, 30_000)
  })
})
