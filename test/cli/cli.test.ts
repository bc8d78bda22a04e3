/*
 * The `onedoor` command as operators run it: a subprocess over the same configuration as the
 * server. Contract (issue 2, CLI): bad input gives a non-zero exit, a one-line reason and no
 * write; command names and flags do not change.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { assertOneLineFailure, runCli } from '../helpers/cli.js'
import { useTestDb } from '../helpers/database.js'
import { randomIdNumber, randomPhone } from '../helpers/onedoor.js'

describe('onedoor CLI', function () {
  this.timeout(180_000) // each invocation starts Node and compiles TypeScript; the machine is shared

  const env = useTestDb()
  const count = async (table: string) => Number((await env.db(table).count({ n: '*' }))[0].n)

  it('migrate: applies the migrations to an empty database', async () => {
    const result = await runCli(env.database, ['migrate'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /applied \d+ migration\(s\)/)
    assert.match(result.stdout, /create_oidc_payloads/)
    assert.equal(await count('clients'), 0)
  })

  describe('client', () => {
    let confidentialId: string
    let secret: string

    it('add: registers a confidential client and prints its id and secret once', async () => {
      const result = await runCli(env.database, ['client', 'add', '--name', '道里区政务服务', '--redirect-uri', 'https://daoli.example.gov.cn/callback', '--post-logout-redirect-uri', 'https://daoli.example.gov.cn/', '--division', '230102'])
      assert.equal(result.code, 0, result.stderr)
      confidentialId = /client_id:\s+(\S+)/.exec(result.stdout)?.[1] ?? ''
      secret = /client_secret:\s+(\S+)/.exec(result.stdout)?.[1] ?? ''
      assert.ok(confidentialId && secret.length >= 32, result.stdout)
      const row = await env.db('clients').where({ client_id: confidentialId }).first()
      assert.equal(row.division_code, '230102')
      assert.ok(!String(row.secret_sealed).includes(secret), 'the secret is sealed at rest')
    })

    it('add --public --json: registers a public client and prints JSON without a secret', async () => {
      const result = await runCli(env.database, ['client', 'add', '--name', 'Mobile app', '--redirect-uri', 'http://127.0.0.1:8080/cb', '--public', '--json'])
      assert.equal(result.code, 0, result.stderr)
      const printed = JSON.parse(result.stdout) as Record<string, unknown>
      assert.equal(typeof printed.client_id, 'string')
      assert.equal(printed.client_secret, null)
      assert.equal(printed.token_endpoint_auth_method, 'none')
      assert.ok(!(printed.grant_types as string[]).includes('client_credentials'))
    })

    it('add: refuses a bad redirect URI with one line, a non-zero exit and nothing written', async () => {
      const before = await count('clients')
      assertOneLineFailure(await runCli(env.database, ['client', 'add', '--name', 'Broken', '--redirect-uri', 'not a uri']), /redirect_uris/)
      assert.equal(await count('clients'), before)
    })

    it('add: refuses a bad division code and a missing --redirect-uri, writing nothing', async () => {
      const before = await count('clients')
      assertOneLineFailure(await runCli(env.database, ['client', 'add', '--name', 'Broken', '--redirect-uri', 'https://p.example/cb', '--division', '23']), /DIVISION/)
      const missing = await runCli(env.database, ['client', 'add', '--name', 'Broken'])
      assert.notEqual(missing.code, 0)
      assert.match(missing.stderr, /--redirect-uri/)
      assert.equal(await count('clients'), before)
    })

    it('list --json: lists the clients without their secrets', async () => {
      const result = await runCli(env.database, ['client', 'list', '--json'])
      assert.equal(result.code, 0, result.stderr)
      const clients = JSON.parse(result.stdout) as { client_id: string; client_name: string; token_endpoint_auth_method: string }[]
      assert.equal(clients.length, 2)
      assert.ok(clients.some((c) => c.client_id === confidentialId && c.client_name === '道里区政务服务'))
      assert.ok(!result.stdout.includes(secret), 'no secret in the listing')
    })
  })

  describe('person', () => {
    const idNumber = randomIdNumber()
    const phone = randomPhone()

    it('add --password: registers a person and never prints the full ID number or the password', async () => {
      const result = await runCli(env.database, ['person', 'add', '--name', '张三', '--id-number', idNumber, '--phone', phone, '--password', 'correct horse battery staple'])
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /created/)
      assert.ok(!result.stdout.includes(idNumber), 'the ID number is masked')
      assert.ok(result.stdout.includes(`${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`))
      assert.ok(!result.stdout.includes('correct horse'))
    })

    it('add --password-stdin --json: reads the password from standard input', async () => {
      const other = randomIdNumber('230103')
      const result = await runCli(env.database, ['person', 'add', '--name', '李四', '--id-number', other, '--phone', randomPhone(), '--password-stdin', '--json'], { stdin: 'a password from stdin\n' })
      assert.equal(result.code, 0, result.stderr)
      const printed = JSON.parse(result.stdout) as Record<string, unknown>
      assert.equal(printed.name, '李四')
      assert.notEqual(printed.id_number, other)
      const row = await env.db('persons').where({ id: printed.id as string }).first()
      assert.match(row.password_hash, /^\$argon2id\$/)
    })

    it('add: refuses a wrong ID checksum and a bad phone with one line each, writing nothing', async () => {
      const before = await count('persons')
      const valid = randomIdNumber('230104')
      const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0')
      assertOneLineFailure(await runCli(env.database, ['person', 'add', '--name', '王五', '--id-number', wrongCheck, '--phone', randomPhone(), '--password', 'long enough password']), /ID_NUMBER/)
      assertOneLineFailure(await runCli(env.database, ['person', 'add', '--name', '王五', '--id-number', valid, '--phone', '12345', '--password', 'long enough password']), /PHONE/)
      assert.equal(await count('persons'), before)
    })

    it('add: refuses a duplicate with a clear one-line error', async () => {
      const before = await count('persons')
      const result = await runCli(env.database, ['person', 'add', '--name', '张三', '--id-number', idNumber, '--phone', randomPhone(), '--password', 'another password'])
      assertOneLineFailure(result, /ALREADY_EXISTS/)
      assert.ok(!result.stderr.includes(idNumber), 'the ID number is not echoed in the error')
      assert.equal(await count('persons'), before)
    })
  })

  describe('keys', () => {
    it('rotate: activates the next keys and publishes fresh ones', async () => {
      const before = await env.db('signing_keys').select('kid', 'state')
      const result = await runCli(env.database, ['keys', 'rotate', '--json'])
      assert.equal(result.code, 0, result.stderr)
      const rotated = JSON.parse(result.stdout) as { activated: string[]; retired: string[]; published: string[] }
      const nextBefore = before.filter((k) => k.state === 'next').map((k) => k.kid).sort()
      assert.deepEqual([...rotated.activated].sort(), nextBefore)
      const after = await env.db('signing_keys').select('kid', 'state')
      for (const kid of rotated.published) assert.equal(after.find((k) => k.kid === kid)?.state, 'next')
      for (const kid of rotated.retired) assert.equal(after.find((k) => k.kid === kid)?.state, 'retired')
    })

    const keyStates = async () => (await env.db('signing_keys').select('kid', 'state').orderBy('kid')).map((k) => `${k.kid}:${k.state}`)

    it('rotate: refuses a rotation sooner than keys.minRotationIntervalSeconds after the previous one; nothing changes', async () => {
      const before = await keyStates()
      const refused = await runCli(env.database, ['keys', 'rotate'])
      assertOneLineFailure(refused, /KEYS_ROTATION_TOO_SOON: refused: the last rotation was \d+ s ago and keys\.minRotationIntervalSeconds is 600; .*--force/)
      assert.deepEqual(await keyStates(), before, 'no key changed state')
    })

    it('rotate --force: rotates anyway and warns what relying parties will see', async () => {
      const before = await env.db('signing_keys').where({ state: 'next' }).pluck('kid')
      const forced = await runCli(env.database, ['keys', 'rotate', '--force', '--json'])
      assert.equal(forced.code, 0, forced.stderr)
      const rotated = JSON.parse(forced.stdout) as { activated: string[]; forcedAfterSeconds?: number }
      assert.deepEqual([...rotated.activated].sort(), [...before].sort())
      assert.equal(typeof rotated.forcedAfterSeconds, 'number')
      assert.match(forced.stderr, /^onedoor: warning: forced rotation \d+ s after the previous one: relying parties .* reject ID tokens .* until they fetch the JWKS again/)
    })

    it('rotate: a deployment may lower the interval in its configuration (0: no check)', async () => {
      const file = path.join(env.database.dataDir, 'no-rotation-interval.json')
      writeFileSync(file, JSON.stringify({ keys: { minRotationIntervalSeconds: 0 } }))
      const result = await runCli(env.database, ['keys', 'rotate', '--json'], { env: { ONEDOOR_CONFIG_FILE: file } })
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, '', 'no warning: nothing was forced')
    })
  })

  describe('anything else', () => {
    it('refuses an unknown command with a non-zero exit', async () => {
      const result = await runCli(env.database, ['frobnicate'])
      assert.notEqual(result.code, 0)
      assert.match(result.stderr, /unknown command/)
    })

    it('says in one line that the database cannot be reached, without echoing DATABASE_URL (it may hold a password)', async () => {
      const url = 'postgres://onedoor:hunter2-secret@127.0.0.1:1/onedoor'
      const result = await runCli(env.database, ['client', 'list'], { env: { DATABASE_URL: url } })
      assertOneLineFailure(result, /^onedoor: cannot reach the database \(ECONNREFUSED\); check DATABASE_URL/)
      assert.doesNotMatch(result.stderr, /hunter2/)
    })
  })
})
