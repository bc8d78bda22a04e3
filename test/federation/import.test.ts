/*
 * Importing the accounts of existing prefecture and county systems with their legacy password
 * hashes; the hash becomes argon2id at the person's first successful sign-in.
 */
import assert from 'node:assert/strict'
import { createHash, pbkdf2Sync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import * as bcrypt from 'bcryptjs'
import { importAccounts, readImportFile, type ImportReport } from '../../src/federation/index.js'
import { keyFromBase64 } from '../../src/shared/crypto.js'
import { createAccountImportStore } from '../../src/store/federation.js'
import { startOneDoor, TEST_SECRETS, type TestServer } from '../helpers/onedoor.js'
import { signIn } from '../helpers/sign-in.js'
import { runCli } from './run-cli.js'

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** The i-th of a series of distinct valid ID numbers (Harbin Nangang district). */
function idNumber(i: number): string {
  const birth = new Date(Date.UTC(1960, 0, 1) + Math.floor(i / 900) * 86_400_000)
  const date = birth.toISOString().slice(0, 10).replaceAll('-', '')
  const first17 = `230103${date}${String(100 + (i % 900)).padStart(3, '0')}`
  const sum = [...first17].reduce((acc, ch, k) => acc + Number(ch) * WEIGHTS[k], 0)
  return first17 + '10X98765432'[sum % 11]
}
const phone = (i: number) => `138${String(i).padStart(8, '0')}`

const ab64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.')

/** One password and hash per format (hashing 10 000 bcrypt passwords would only test bcrypt). */
const FORMATS = (() => {
  const salt = 'Zx9!salt'
  const pbkdf2Salt = Buffer.from('0123456789abcdef')
  return [
    { format: 'bcrypt', password: 'bcrypt-pass-1', fields: { password_hash: bcrypt.hashSync('bcrypt-pass-1', 4) } },
    { format: 'pbkdf2-sha256', password: 'pbkdf2-pass-1', fields: { password_hash: `$pbkdf2-sha256$1000$${ab64(pbkdf2Salt)}$${ab64(pbkdf2Sync('pbkdf2-pass-1', pbkdf2Salt, 1000, 32, 'sha256'))}` } },
    { format: 'pbkdf2-sha256', password: 'django-pass-1', fields: { password_hash: `pbkdf2_sha256$1000$saltsalt$${pbkdf2Sync('django-pass-1', 'saltsalt', 1000, 32, 'sha256').toString('base64')}` } },
    { format: 'sha256-salted', password: 'sha-pass-1', fields: { password_hash: createHash('sha256').update(`sha-pass-1${salt}`).digest('hex'), salt } },
    { format: 'md5-salted', password: 'md5-pass-1', fields: { password_hash: createHash('md5').update(`${salt}md5-pass-1`).digest('hex'), salt, salt_position: 'prefix' } },
  ]
})()

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)

function writeCsv(file: string, count: number): void {
  const header = ['legacy_id', 'name', 'id_number', 'phone', 'hash_format', 'password_hash', 'salt', 'salt_position']
  const lines = [header.join(',')]
  for (let i = 0; i < count; i += 1) {
    const f = FORMATS[i % FORMATS.length]
    const row: Record<string, string> = { legacy_id: `u${i}`, name: `居民${i}`, id_number: idNumber(i), phone: phone(i), hash_format: f.format, salt: '', salt_position: '', ...f.fields }
    lines.push(header.map((h) => csvCell(row[h] ?? '')).join(','))
  }
  writeFileSync(file, `${lines.join('\n')}\n`)
}

describe('importing accounts of an existing system', () => {
  let server: TestServer
  let harbin: { clientId: string }
  let nangang: { clientId: string }
  let portal: { clientId: string; clientSecret?: string }
  let csv: string
  const redirectUri = 'http://127.0.0.1:9/callback'

  before(async () => {
    server = await startOneDoor()
    harbin = await server.addClient({ name: '哈尔滨市政务服务系统', redirectUris: [redirectUri], divisionCode: '230100' })
    nangang = await server.addClient({ name: '南岗区政务服务系统', redirectUris: [redirectUri], divisionCode: '230103' })
    portal = await server.addClient({ name: '门户', redirectUris: [redirectUri] })
    csv = path.join(server.database.dataDir, 'harbin.csv')
    writeCsv(csv, 10_000)
  })
  after(async () => server?.close())

  function run(file: string, source: string): Promise<ImportReport> {
    const { db, config, clients } = { db: server.onedoor.db, config: server.config, clients: server.onedoor.services.clients }
    return importAccounts(
      { store: createAccountImportStore(db), clients, piiEncryptionKey: keyFromBase64(config.secrets.piiEncryptionKey), piiBlindIndexKey: keyFromBase64(config.secrets.piiBlindIndexKey) },
      readImportFile(file, file.endsWith('.csv') ? 'csv' : 'jsonl'),
      { sourceClientId: source },
    )
  }

  const storedHash = async (i: number) => {
    const row = await server.onedoor.db('persons').where({ phone: phone(i) }).first()
    return row.password_hash as string
  }

  it('imports 10 000 accounts in several legacy hash formats, and a re-run imports nothing twice', async () => {
    const started = Date.now()
    const report = await run(csv, harbin.clientId)
    const seconds = (Date.now() - started) / 1000
    process.stdout.write(`      (10 000 accounts imported in ${seconds.toFixed(1)} s on ${process.env.ONEDOOR_TEST_DB ?? 'sqlite'})\n`)
    assert.equal(report.read, 10_000)
    assert.equal(report.created, 10_000, JSON.stringify(report.rejected.slice(0, 3)))
    assert.deepEqual(report.byFormat, { bcrypt: 2000, 'pbkdf2-sha256': 4000, 'sha256-salted': 2000, 'md5-salted': 2000 })
    assert.deepEqual(report.rejected, [])
    assert.deepEqual(report.conflicts, [])
    const count = await server.onedoor.db('persons').count({ n: '*' }).first()
    assert.equal(Number(count!.n), 10_000)
    assert.match(await storedHash(0), /^\$2[ab]\$04\$/, 'the legacy hash is stored as is')

    const again = await run(csv, harbin.clientId)
    assert.deepEqual([again.created, again.merged, again.alreadyImported], [0, 0, 10_000])
    const after = await server.onedoor.db('persons').count({ n: '*' }).first()
    assert.equal(Number(after!.n), 10_000)
  })

  it('upgrades each legacy hash to argon2id at the first successful sign-in', async () => {
    const persons = server.onedoor.services.persons
    for (const [i, f] of FORMATS.entries()) {
      const index = 5 + i // a fresh person of this format
      assert.equal(await persons.authenticateWithPassword(idNumber(index), 'wrong password'), undefined, `${f.format}: a wrong password fails`)
      assert.doesNotMatch(await storedHash(index), /^\$argon2id\$/, 'a failed attempt changes nothing')
      const person = await persons.authenticateWithPassword(idNumber(index), f.password)
      assert.ok(person, `${f.format}: the legacy password signs in`)
      assert.match(await storedHash(index), /^\$argon2id\$/, `${f.format}: upgraded`)
      assert.ok(await persons.authenticateWithPassword(phone(index), f.password), `${f.format}: the same password works against the new hash`)
    }
  })

  it('signs an imported person in through the real login page and upgrades the hash', async () => {
    const i = 20 // bcrypt
    const who = { id: '', idNumber: idNumber(i), phone: phone(i), password: FORMATS[0].password, name: `居民${i}` }
    const { tokens } = await signIn(server, portal, who, { redirectUri })
    assert.ok(tokens.id_token)
    assert.match(await storedHash(i), /^\$argon2id\$/)
  })

  it('merges records of one ID number from another system and reports conflicts instead of overwriting', async () => {
    const file = path.join(server.database.dataDir, 'nangang.jsonl')
    const record = (over: Record<string, string>) => JSON.stringify({ hash_format: 'md5-salted', password_hash: createHash('md5').update('pw-nangang').digest('hex'), salt: '', ...over })
    writeFileSync(
      file,
      [
        record({ legacy_id: 'n1', name: '居民1', id_number: idNumber(1), phone: phone(1) }), // same person, same data
        record({ legacy_id: 'n2', name: '别名', id_number: idNumber(2), phone: '13999999999' }), // same person, other name and phone
        record({ legacy_id: 'n3', name: '新居民', id_number: idNumber(20_000), phone: phone(3) }), // new person, phone of someone else
        record({ legacy_id: 'n4', name: '新居民', id_number: '230103199001011234', phone: '13700000001' }), // bad check digit
        record({ legacy_id: 'n5', name: '新居民', id_number: idNumber(20_001), phone: '13700000002', password_hash: 'zzz' }),
        'not json',
        record({ legacy_id: 'n7', name: '新居民', id_number: idNumber(20_002), phone: '13700000003' }),
      ].join('\n'),
    )
    const report = await run(file, nangang.clientId)
    assert.deepEqual([report.read, report.created, report.merged], [7, 1, 2])
    assert.deepEqual(report.conflicts.map((c) => [c.legacyId, c.fields]), [['n2', ['name', 'phone']], ['n3', ['phone_in_use']]])
    assert.ok(report.conflicts.every((c) => !JSON.stringify(c).includes(idNumber(2))), 'the report masks ID numbers')
    assert.deepEqual(report.rejected.map((r) => r.legacyId || `line ${r.line}`), ['n4', 'n5', 'line 6', 'n3'])
    const kept = await server.onedoor.db('persons').where({ phone: phone(2) }).first()
    assert.equal(kept.name, '居民2', 'existing values are kept')
    const links = await server.onedoor.db('person_imports').where({ person_id: kept.id })
    assert.deepEqual(links.map((l) => l.source_client_id).sort(), [harbin.clientId, nangang.clientId].sort(), 'one person, both origins')
    const again = await run(file, nangang.clientId)
    assert.deepEqual([again.created, again.merged, again.alreadyImported], [0, 0, 3])
  })

  describe('onedoor import accounts (command line)', function () {
  // Each command is a fresh Node process with tsx: slow on a loaded machine.
  this.timeout(180_000)
    const cli = (...args: string[]) => runCli(['import', 'accounts', ...args], { ...TEST_SECRETS, ...server.database.env })

    it('imports a file and prints a report', async () => {
      const file = path.join(server.database.dataDir, 'small.csv')
      writeFileSync(file, `legacy_id,name,id_number,phone,hash_format,password_hash,salt\nc1,李雷,${idNumber(30_000)},13600000001,sha256-salted,${createHash('sha256').update('pw1s').digest('hex')},s\n`)
      const result = await cli(file, '--from', harbin.clientId)
      assert.equal(result.status, 0, result.stderr)
      assert.match(result.stdout, /1 read, 1 created, 0 merged into existing persons, 0 already imported, 0 rejected, 0 conflict/)
      assert.match(result.stdout, /sha256-salted 1/)
      assert.ok(!result.stdout.includes(idNumber(30_000)), 'no ID number in the output')
    })

    it('refuses an unknown source system and a missing file with one line', async () => {
      const file = path.join(server.database.dataDir, 'small.csv')
      const unknown = await cli(file, '--from', 'no-such-system')
      assert.equal(unknown.status, 1)
      assert.match(unknown.stderr, /FEDERATION_SYSTEM_UNKNOWN/)
      const missing = await cli('/nonexistent.csv', '--from', harbin.clientId)
      assert.equal(missing.status, 1)
      assert.match(missing.stderr, /file not found/)
    })
  })
})
