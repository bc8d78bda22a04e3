import assert from 'node:assert/strict'
import { createHash, pbkdf2Sync } from 'node:crypto'
import * as bcrypt from 'bcryptjs'
import { createPasswordHasher, legacyFormatOf, storedSaltedHash, verifyLegacyHash } from '../../src/accounts/index.js'

describe('legacy password hash formats', () => {
  const hasher = createPasswordHasher({ argon2: { memoryKiB: 19_456, timeCost: 2, parallelism: 1 }, maxConcurrentHashes: 2 })

  it('verifies bcrypt in its $2a$, $2b$ and $2y$ spellings', async () => {
    const hash = bcrypt.hashSync('密码-123', 4)
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const stored = prefix + hash.slice(4)
      assert.equal(legacyFormatOf(stored), 'bcrypt')
      assert.equal(await verifyLegacyHash(stored, '密码-123'), true, prefix)
      assert.equal(await verifyLegacyHash(stored, '密码-124'), false, prefix)
    }
  })

  it('verifies salted SHA-256 and MD5 with the salt before or after, digests in hex or base64', async () => {
    const sha = storedSaltedHash('sha256-salted', createHash('sha256').update('pw' + 'NaCl').digest('base64'), 'NaCl', 'suffix')!
    assert.equal(await verifyLegacyHash(sha, 'pw'), true)
    assert.equal(await verifyLegacyHash(sha, 'pW'), false)
    const md5 = storedSaltedHash('md5-salted', createHash('md5').update('NaCl' + 'pw').digest('hex'), 'NaCl', 'prefix')!
    assert.match(md5, /^\$md5-salted\$sp\$/)
    assert.equal(await verifyLegacyHash(md5, 'pw'), true)
    assert.equal(storedSaltedHash('md5-salted', 'abc', 'x', 'suffix'), undefined, 'a digest of the wrong length is refused')
  })

  it('verifies passlib and Django PBKDF2-SHA256', async () => {
    const salt = Buffer.from('saltysalt')
    const ab64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.')
    const passlib = `$pbkdf2-sha256$2000$${ab64(salt)}$${ab64(pbkdf2Sync('pw', salt, 2000, 32, 'sha256'))}`
    const django = `pbkdf2_sha256$2000$saltysalt$${pbkdf2Sync('pw', 'saltysalt', 2000, 32, 'sha256').toString('base64')}`
    for (const stored of [passlib, django]) {
      assert.equal(legacyFormatOf(stored), 'pbkdf2-sha256')
      assert.equal(await verifyLegacyHash(stored, 'pw'), true)
      assert.equal(await verifyLegacyHash(stored, 'wrong'), false)
    }
  })

  it('does not take argon2id or malformed strings for legacy hashes', async () => {
    const argon = await hasher.hash('pw-argon2-long')
    assert.equal(legacyFormatOf(argon), undefined)
    assert.equal(hasher.needsRehash(argon), false)
    for (const bad of ['', '$2b$31$' + 'a'.repeat(53), 'pbkdf2_sha256$9000000$salt$' + 'A'.repeat(44), '$2b$04$short', '$sha256-salted$ps$abc$zz', 'pbkdf2_sha256$x$y$z', '5f4dcc3b5aa765d61d8327deb882cf99']) assert.equal(legacyFormatOf(bad), undefined, bad)
  })

  it('makes the password hasher accept legacy hashes and ask for a rehash', async () => {
    const stored = bcrypt.hashSync('pw', 4)
    assert.equal(await hasher.verify(stored, 'pw'), true)
    assert.equal(hasher.needsRehash(stored), true)
  })
})
