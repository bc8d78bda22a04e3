/*
 * Operating the administration: bootstrapping the first administrator from the CLI (no default
 * administrator exists), console idle timeout (15 minutes), unlock and MFA reset, the sign-in and
 * token events reaching the audit trail with the portal's division, and concurrent appends
 * keeping one unbroken chain.
 */
import assert from 'node:assert/strict'
import { runCli } from '../helpers/cli.js'
import { randomIdNumber, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addAdmin, addSystem, adminToken, api, startAdminServer } from './admin-helpers.js'

describe('administration operations', function () {
  this.timeout(120_000)
  let server: TestServer

  before(async () => {
    server = await startAdminServer()
  })
  after(() => server.close())

  it('bootstraps the first administrator with `onedoor admin add`, rejecting bad input without writing', async () => {
    assert.equal(Number((await server.onedoor.db('admins').count({ n: '*' }).first())?.n), 0, 'no default administrator')
    const person = await server.addPerson({ idNumber: randomIdNumber('230102') })
    for (const args of [
      ['--login', person.idNumber, '--role', 'emperor'],
      ['--login', person.idNumber, '--role', 'county_admin', '--division', '230100'],
      ['--login', '13800000000', '--role', 'province_admin'],
    ]) {
      const res = await runCli(server.database, ['admin', 'add', ...args])
      assert.notEqual(res.code, 0, args.join(' '))
      assert.match(res.stderr, /^onedoor: |error: /m)
    }
    assert.equal(Number((await server.onedoor.db('admins').count({ n: '*' }).first())?.n), 0)
    const ok = await runCli(server.database, ['admin', 'add', '--login', person.phone, '--role', 'province_admin', '--json'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(JSON.parse(ok.stdout).divisionCode, '230000')
    const record = await server.onedoor.db('audit_events').where({ type: 'admin.admin.created' }).first()
    assert.equal(record.actor_type, 'system')
    const again = await runCli(server.database, ['admin', 'add', '--login', person.phone, '--role', 'province_admin'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /ADMIN_ALREADY_ADMIN/)
  })

  it('ends an idle console session after 15 minutes', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const agent = new UserAgent()
    const { callbackUrl } = await signInThroughPages(agent, new URL(`${server.url}/admin/login`), `${server.url}/admin/callback`, { identifier: admin.idNumber, password: admin.password })
    assert.equal((await agent.get(callbackUrl.toString())).status, 200)
    assert.equal((await agent.get(`${server.url}/admin/clients`)).status, 200)
    // 16 minutes pass without a request.
    await server.onedoor.db('admin_sessions').where({ person_id: admin.personId }).update({ last_seen_at: Date.now() - 16 * 60_000 })
    const after = await agent.get(`${server.url}/admin/clients`, (u) => u.pathname === '/auth')
    assert.equal(after.status, 0, 'sent back to sign in')
    const row = await server.onedoor.db('admin_sessions').where({ person_id: admin.personId }).first()
    assert.ok(row.ended_at)
  })

  it('unlocks a throttled resident and resets a second factor, both audited', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const token = await adminToken(server, admin)
    const person = await server.addPerson({ idNumber: randomIdNumber('230102') })
    const unlock = await api(server, token).post(`/persons/${person.id}/unlock`, { reason: '本人到窗口申请解锁' })
    assert.equal(unlock.status, 200, JSON.stringify(unlock.body))
    const reset = await api(server, token).post(`/persons/${person.id}/reset-mfa`, { reason: '手机遗失，本人申请' })
    assert.equal(reset.status, 200)
    assert.equal(reset.body.mfaRemoved, false)
    const types = await server.onedoor.db('audit_events').where({ target_id: person.id }).pluck('type')
    assert.ok(types.includes('admin.person.unlocked'))
    assert.ok(types.includes('admin.person.mfa_reset'))
  })

  it('records sign-ins and token issuance with the portal and its division', async () => {
    const system = await addSystem(server, '230103')
    const redirectUri = 'https://portal-230103.example.gov.cn/callback'
    const person = await server.addPerson()
    const config = await discover(server.url, system.clientId, system.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri })
    const agent = new UserAgent()
    const bad = await agent.get(start.url.toString())
    await agent.submit(bad, '/login', { identifier: person.phone, password: 'wrong password here' })
    const { callbackUrl } = await signInThroughPages(agent, start.url, redirectUri, { identifier: person.phone, password: person.password })
    await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    const deadline = Date.now() + 10_000
    let rows: { type: string; division_code: string; client_id: string; error_code: string | null; actor_id: string | null }[] = []
    while (Date.now() < deadline) {
      rows = await server.onedoor.db('audit_events').where({ client_id: system.clientId }).select()
      if (['auth.login.failed', 'auth.login.succeeded', 'oidc.token.issued'].every((t) => rows.some((r) => r.type === t))) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const byType = (t: string) => rows.find((r) => r.type === t)
    assert.equal(byType('auth.login.failed')?.error_code, 'invalid_credentials')
    assert.equal(byType('auth.login.succeeded')?.actor_id, person.id)
    assert.equal(byType('oidc.token.issued')?.division_code, '230103')
    assert.equal((await server.onedoor.services.audit.verify()).ok, true)
  })

  /** Threat: password guessing against an administrator (等保: lockout after a few failures). */
  it('locks an administrator out of the console after repeated wrong passwords, until unlocked', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const unlocker = await adminToken(server, await addAdmin(server, 'prefecture_admin', '230100'))
    const loginPage = async (agent: UserAgent) => agent.get(`${server.url}/admin/login`, (u) => u.pathname === '/admin/callback')
    for (let i = 0; i < 5; i += 1) {
      const agent = new UserAgent()
      const page = await loginPage(agent)
      const res = await agent.submit(page, '/login', { identifier: admin.idNumber, password: `wrong guess ${i}` })
      assert.equal(res.status, 401)
    }
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && !(await server.onedoor.db('admins').where({ person_id: admin.personId }).whereNotNull('locked_until').first())) await new Promise((r) => setTimeout(r, 50))
    const agent = new UserAgent()
    const { callbackUrl } = await signInThroughPages(agent, new URL(`${server.url}/admin/login`), `${server.url}/admin/callback`, { identifier: admin.idNumber, password: admin.password })
    const refused = await agent.get(callbackUrl.toString())
    assert.equal(refused.status, 423)
    assert.ok(await server.onedoor.db('audit_events').where({ type: 'auth.account.locked', actor_id: admin.personId }).first())

    const unlock = await api(server, unlocker).post(`/persons/${admin.personId}/unlock`, { reason: '核实本人后解除锁定' })
    assert.equal(unlock.status, 200)
    const again = new UserAgent()
    const second = await signInThroughPages(again, new URL(`${server.url}/admin/login`), `${server.url}/admin/callback`, { identifier: admin.idNumber, password: admin.password })
    assert.equal((await again.get(second.callbackUrl.toString())).status, 200)
  })

  it('keeps one unbroken chain under concurrent appends', async () => {
    const { audit } = server.onedoor.services
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.record({ type: 'admin.person.viewed', actor: { type: 'admin', id: `a${i}` }, divisionCode: '230102' })))
    const result = await audit.verify()
    assert.equal(result.ok, true, JSON.stringify(result.problem))
    const seqs = (await server.onedoor.db('audit_events').orderBy('seq').pluck('seq')).map(Number)
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), 'no gaps')
  })
})
