import assert from 'node:assert/strict'
import Keygrip from 'keygrip'
import { CookieKeygrip } from '../../src/http/cookie-keygrip.js'

// Cookies signed before the switch from keygrip must stay valid, and the other way round.
describe('cookie signatures (CookieKeygrip)', () => {
  const current = 'current-cookie-key-0123456789abcdefghijklmnop'
  const retired = 'retired-cookie-key-0123456789abcdefghijklmnop'
  const values = ['_session=abc123', '_interaction=Zm9v; path=/interaction/Zm9v', '会话=值', '']

  it('signs exactly as keygrip does', () => {
    const ours = new CookieKeygrip([current, retired])
    const theirs = new Keygrip([current, retired])
    for (const value of values) assert.equal(ours.sign(value), theirs.sign(value))
  })

  it('finds the key that signed a value, across rotation', () => {
    const ours = new CookieKeygrip([current, retired])
    for (const value of values) {
      assert.equal(ours.index(value, new Keygrip([current]).sign(value)), 0)
      assert.equal(ours.index(value, new Keygrip([retired]).sign(value)), 1)
      assert.equal(ours.verify(value, new Keygrip([retired]).sign(value)), true)
    }
  })

  it('rejects other keys, tampered values and malformed signatures', () => {
    const ours = new CookieKeygrip([current])
    const signature = ours.sign('_session=abc123')
    assert.equal(ours.index('_session=abc124', signature), -1)
    assert.equal(ours.index('_session=abc123', new Keygrip(['another-key-0123456789abcdefghijklmnopqrs']).sign('_session=abc123')), -1)
    assert.equal(ours.index('_session=abc123', signature.slice(1)), -1)
    assert.equal(ours.index('_session=abc123', ''), -1)
    assert.equal(ours.verify('_session=abc123', `${signature}=`), false)
    assert.throws(() => new CookieKeygrip([]))
  })
})
