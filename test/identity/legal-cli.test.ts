/*
 * `onedoor org add` and `onedoor mandate add` as an operator runs them (subprocess): bad input
 * gives one line and a non-zero status, and nothing is written.
 */
import assert from 'node:assert/strict'
import { createServices } from '../../src/app.js'
import { registerClient } from '../../src/oidc/index.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { runCli } from '../helpers/cli.js'
import { createTestDatabase, randomIdNumber, randomPhone, testConfig, type TestDatabase } from '../helpers/onedoor.js'

const USCC = '91350100M000100Y43'

describe('onedoor org add / mandate add', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let db: Db
  let services: ReturnType<typeof createServices>
  const rep = { name: '钱法人', idNumber: randomIdNumber(), phone: randomPhone(), password: 'a long enough passphrase 2026' }
  const agent = { name: '李经办', idNumber: randomIdNumber(), phone: randomPhone(), password: 'another long passphrase 2026' }
  let clientId: string

  before(async () => {
    database = createTestDatabase()
    const config = testConfig(database, 0)
    db = createDb(config.db)
    await migrateLatest(db)
    services = createServices(config, db)
    await services.keySet.ensureKeys()
    await services.persons.registerPerson(rep)
    await services.persons.registerPerson(agent)
    clientId = (await registerClient({ config, clients: services.clients, loadJwks: services.keySet.loadSigningJwks }, { name: '工商', redirectUris: ['https://example.gov.cn/cb'] })).clientId
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  const count = async (table: string) => Number((await db(table).count({ n: '*' }).first())!.n)

  async function assertRefused(args: string[], code: RegExp) {
    const result = await runCli(database, args)
    assert.notEqual(result.code, 0, `refused: ${args.join(' ')}`)
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`)
    assert.match(result.stderr, code)
    assert.ok(!result.stderr.includes(rep.idNumber) && !result.stderr.includes(agent.idNumber), 'no ID number in the message')
  }

  it('refuses a bad code, a wrong check character, an unknown legal representative and a blank name', async () => {
    await assertRefused(['org', 'add', '--uscc', '91350100M000100Y44', '--name', '某公司', '--legal-rep', rep.idNumber], /ENTERPRISE_USCC_INVALID/)
    await assertRefused(['org', 'add', '--uscc', 'NOT-A-CODE', '--name', '某公司', '--legal-rep', rep.idNumber], /ENTERPRISE_USCC_INVALID/)
    await assertRefused(['org', 'add', '--uscc', USCC, '--name', '某公司', '--legal-rep', randomIdNumber()], /ENTERPRISE_LEGAL_REPRESENTATIVE_INVALID/)
    await assertRefused(['org', 'add', '--uscc', USCC, '--name', '  ', '--legal-rep', rep.idNumber], /ENTERPRISE_NAME_INVALID/)
    await assertRefused(['org', 'add', '--uscc', USCC, '--name', '哈尔滨\t公司', '--legal-rep', rep.idNumber], /ENTERPRISE_NAME_INVALID/)
    assert.equal(await count('enterprises'), 0, 'nothing written')
  })

  it('registers an organisation with its kind derived from the code, once', async () => {
    const result = await runCli(database, ['org', 'add', '--uscc', USCC.toLowerCase(), '--name', '福州示例有限公司', '--legal-rep', rep.idNumber, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const out = JSON.parse(result.stdout)
    assert.equal(out.uscc, USCC)
    assert.equal(out.org_type, 'enterprise')
    assert.ok(!result.stdout.includes(rep.idNumber))
    await assertRefused(['org', 'add', '--uscc', USCC, '--name', '福州示例有限公司', '--legal-rep', rep.idNumber], /ENTERPRISE_ALREADY_EXISTS/)
    assert.equal(await count('enterprises'), 1)
  })

  it('refuses mandates with bad input and writes nothing', async () => {
    await assertRefused(['mandate', 'add', '--uscc', '9111000010169286X1', '--agent', agent.idNumber], /ENTERPRISE_NOT_FOUND/)
    await assertRefused(['mandate', 'add', '--uscc', USCC, '--agent', randomIdNumber()], /MANDATE_AGENT_INVALID/)
    await assertRefused(['mandate', 'add', '--uscc', USCC, '--agent', rep.idNumber], /MANDATE_AGENT_IS_REPRESENTATIVE/)
    await assertRefused(['mandate', 'add', '--uscc', USCC, '--agent', agent.idNumber, '--until', '2020-01-01'], /MANDATE_UNTIL_INVALID/)
    await assertRefused(['mandate', 'add', '--uscc', USCC, '--agent', agent.idNumber, '--until', '2031-02-30'], /MANDATE_UNTIL_INVALID/)
    await assertRefused(['mandate', 'add', '--uscc', USCC, '--agent', agent.idNumber, '--clients', 'no-such-client'], /MANDATE_CLIENTS_INVALID/)
    await assertRefused(['mandate', 'add', '--uscc', USCC, '--agent', agent.idNumber, '--clients', ','], /MANDATE_CLIENTS_INVALID/)
    assert.equal(await count('mandates'), 0, 'nothing written')
  })

  it('grants a mandate limited to listed service systems until a date', async () => {
    const result = await runCli(database, ['mandate', 'add', '--uscc', USCC, '--agent', agent.idNumber, '--until', '2031-12-31', '--clients', clientId, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const out = JSON.parse(result.stdout)
    assert.deepEqual(out.clients, [clientId])
    assert.equal(out.valid_until, '2031-12-31T16:00:00.000Z', 'end of the day in China Standard Time')
    const options = await services.mandates.actingOptions((await services.enterprises.findPersonIdByIdNumber(agent.idNumber))!, clientId)
    assert.equal(options.length, 1)
    assert.equal(options[0].role, 'agent')
    assert.equal(await count('mandates'), 1)
  })

  it('records a counter verification (level 2) with the staff member, and refuses an unknown person', async () => {
    await assertRefused(['assurance', 'verify', '--id-number', randomIdNumber(), '--staff', '窗口 3 号'], /ACCOUNT_NOT_FOUND/)
    assert.equal(await count('assurance_evidence'), 0)
    const result = await runCli(database, ['assurance', 'verify', '--id-number', agent.idNumber, '--staff', '窗口 3 号', '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(JSON.parse(result.stdout).assurance_level, 2)
    const evidence = await db('assurance_evidence').first()
    assert.equal(evidence.method, 'counter')
    assert.equal(evidence.verified_by, 'staff:窗口 3 号')
  })
})
