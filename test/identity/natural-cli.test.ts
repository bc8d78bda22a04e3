import assert from 'node:assert/strict'
import { runCli } from '../helpers/cli.js'
import { createTestDatabase, randomIdNumber, randomPhone, type TestDatabase } from '../helpers/onedoor.js'

describe('onedoor person add: document types and password policy', function () {
  // Each CLI run starts Node and tsx afresh (several seconds on a loaded machine).
  this.timeout(180_000)
  let database: TestDatabase
  before(async () => {
    database = createTestDatabase()
    const migrated = await runCli(database, ['migrate'])
    assert.equal(migrated.code, 0, migrated.stderr)
  })
  after(async () => database?.drop())

  it('adds a person holding a Taiwan residence permit', async () => {
    const permit = randomIdNumber('830000')
    const res = await runCli(database, ['person', 'add', '--name', '林小华', '--document-type', 'taiwan_residence_permit', '--id-number', permit, '--phone', randomPhone(), '--password-stdin', '--json'], { stdin: 'alishan tea in winter\n' })
    assert.equal(res.code, 0, res.stderr)
    const out = JSON.parse(res.stdout)
    assert.equal(out.document_type, 'taiwan_residence_permit')
    assert.equal(out.id_number, `${permit.slice(0, 4)}**********${permit.slice(-4)}`)
    assert.ok(!res.stdout.includes(permit))
  })

  it('refuses a common password, an unknown document type and a passport without country, writing nothing', async () => {
    const phone = randomPhone()
    const cases = [
      ['--id-number', randomIdNumber(), '--password', 'password1'],
      ['--id-number', randomIdNumber(), '--document-type', 'library_card', '--password', 'a long passphrase'],
      ['--id-number', 'E12345678', '--document-type', 'passport', '--password', 'a long passphrase'],
    ]
    for (const extra of cases) {
      const res = await runCli(database, ['person', 'add', '--name', '某人', '--phone', phone, ...extra])
      assert.notEqual(res.code, 0)
      assert.match(res.stderr, /ACCOUNT_(PASSWORD_COMMON|DOCUMENT_TYPE_INVALID|DOCUMENT_INVALID)/)
      assert.equal(res.stderr.trim().split('\n').length, 1, 'one-line reason')
    }
    const ok = await runCli(database, ['person', 'add', '--name', '某人', '--phone', phone, '--id-number', randomIdNumber(), '--password', 'a long passphrase'])
    assert.equal(ok.code, 0, 'the phone was not taken by the refused attempts')
  })
})
