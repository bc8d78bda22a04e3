import assert from 'node:assert/strict'
import { createCipheriv, createHmac, randomBytes } from 'node:crypto'
import { blindIndex, hmacSha256, open, seal, secretKeyOf } from '../../src/shared/crypto.js'

// Blind indexes and sealed ID numbers are stored: the KeyObject path must give exactly the bytes
// the raw-key path gave, or every stored index and sealed value would stop matching.
describe('secrets at rest and blind indexes (src/shared/crypto.ts)', () => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef')

  it('computes the same HMAC as createHmac with the raw key, for every purpose', () => {
    for (const value of ['230102199001011234', '13800000000', '会话', '']) {
      const expected = createHmac('sha256', key).update(`id-number\0${value}`).digest('base64url')
      assert.equal(blindIndex(key, value, 'id-number'), expected)
      assert.equal(hmacSha256(key, `id-number\0${value}`), expected)
    }
    assert.notEqual(blindIndex(key, 'x', 'id-number'), blindIndex(Buffer.from(key).fill(1, 0, 1), 'x', 'id-number'), 'another key, another index')
  })

  it('makes one KeyObject per key and none shared between keys', () => {
    const other = randomBytes(32)
    assert.equal(secretKeyOf(key), secretKeyOf(key))
    assert.notEqual(secretKeyOf(key), secretKeyOf(other))
    assert.equal(secretKeyOf(other).export().equals(other), true)
  })

  it('opens what it sealed, opens a value sealed with the raw key, and refuses another purpose', () => {
    assert.equal(open(key, seal(key, '230102199001011234', 'id-number'), 'id-number'), '230102199001011234')
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(Buffer.from('id-number'))
    const body = Buffer.concat([cipher.update('居民', 'utf8'), cipher.final()])
    const sealedWithRawKey = ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
    assert.equal(open(key, sealedWithRawKey, 'id-number'), '居民')
    assert.throws(() => open(key, sealedWithRawKey, 'phone'))
  })
})
