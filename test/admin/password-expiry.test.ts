/*
 * Periodic change of administrator passwords (等保 level 3, issue 5). Threat: an administrator's
 * password that leaked long ago (or was weakened in the account centre) keeps opening the
 * console and the admin API. An administrator whose password is older than
 * admin.passwordMaxAgeDays, of unknown age, or set under the residents' policy must set a new one
 * (administrators' policy, 15+) before anything else; the page speaks zh-CN and English.
 */
import assert from 'node:assert/strict'
import { MIGRATIONS_DIR } from '../../src/store/db.js'
import type { TestServer } from '../helpers/onedoor.js'
import type { UserAgent } from '../helpers/user-agent.js'
import { addAdmin, adminToken, api, consoleSignIn, startAdminServer, submitConsoleForm, type TestAdmin } from './admin-helpers.js'

const DAY_MS = 86_400_000

describe('administrator password expiry', function () {
  this.timeout(120_000)
  let server: TestServer

  before(async () => {
    server = await startAdminServer()
    assert.equal(server.config.admin.passwordMaxAgeDays, 90, 'the default period')
  })
  after(() => server.close())

  async function age(admin: TestAdmin, days: number | null, policy = 'admin') {
    await server.onedoor.db('persons').where({ id: admin.personId }).update({ password_changed_at: days === null ? null : Date.now() - days * DAY_MS, password_policy: policy })
  }

  const consoleAgent = (admin: TestAdmin, language = 'zh-CN') => consoleSignIn(server, admin, language)
  const changePassword = (agent: UserAgent, fields: { current: string; password: string; confirm: string }) => submitConsoleForm(server, agent, '/admin/password', '/admin/password', fields)

  it('records when a password was set, at registration', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const row = await server.onedoor.db('persons').where({ id: admin.personId }).first()
    assert.ok(Math.abs(Number(row.password_changed_at) - Date.now()) < 60_000)
    assert.equal(row.password_policy, 'admin', 'a 15+ passphrase meets the administrators’ policy')
    const resident = await server.addPerson({ password: 'short but ok 1' })
    assert.equal((await server.onedoor.db('persons').where({ id: resident.id }).first()).password_policy, 'person')
  })

  it('lets an administrator with a fresh password straight in', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    await age(admin, 89)
    const { landing } = await consoleAgent(admin)
    assert.equal(landing.status, 200)
    assert.equal(new URL(landing.url).pathname, '/admin')
  })

  it('makes an administrator whose password is 91 days old change it before continuing (zh-CN)', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    await age(admin, 91)
    const { agent, landing } = await consoleAgent(admin)
    assert.equal(new URL(landing.url).pathname, '/admin/password', 'sent to the change page at sign-in')
    assert.match(landing.body, /请先修改密码再继续/)
    assert.match(landing.body, /至少 15 个字符/)
    // Every other page leads back here; a POST elsewhere is refused.
    const clients = await agent.get(`${server.url}/admin/clients`)
    assert.equal(new URL(clients.url).pathname, '/admin/password')

    // The administrators' policy: 15+ characters, and not the old password again.
    const short = await changePassword(agent, { current: admin.password, password: 'too short 12', confirm: 'too short 12' })
    assert.equal(short.status, 400)
    assert.match(short.body, /id="password-password-error"/)
    assert.match(short.body, /aria-invalid="true"/)
    assert.doesNotMatch(short.body, /too short 12/, 'passwords are never echoed')
    const same = await changePassword(agent, { current: admin.password, password: admin.password, confirm: admin.password })
    assert.equal(same.status, 400)
    assert.match(same.body, /新密码不能与当前密码相同/)
    const wrong = await changePassword(agent, { current: 'not my password at all', password: 'a brand new admin passphrase', confirm: 'a brand new admin passphrase' })
    assert.equal(wrong.status, 400)
    assert.match(wrong.body, /id="password-current-error"[^>]*>当前密码不正确/)
    const mismatch = await changePassword(agent, { current: admin.password, password: 'a brand new admin passphrase', confirm: 'a brand new admin passphrasf' })
    assert.match(mismatch.body, /两次输入的新密码不一致/)

    const done = await changePassword(agent, { current: admin.password, password: 'a brand new admin passphrase', confirm: 'a brand new admin passphrase' })
    assert.equal(done.status, 200)
    assert.equal(new URL(done.url).pathname, '/admin')
    assert.match(done.body, /密码已修改/)
    assert.equal((await agent.get(`${server.url}/admin/clients`)).status, 200, 'the console is open again')
    const row = await server.onedoor.db('persons').where({ id: admin.personId }).first()
    assert.ok(Date.now() - Number(row.password_changed_at) < 60_000)
    assert.equal(row.password_policy, 'admin')
    const audited = await server.onedoor.db('audit_events').where({ type: 'admin.password.changed', actor_id: admin.personId })
    assert.equal(audited.length, 1)
    assert.doesNotMatch(audited[0].details, /passphrase/)
    // The wrong current password counted towards the admin lockout, then the change reset it.
    assert.equal(Number((await server.onedoor.db('admins').where({ person_id: admin.personId }).first()).failed_sign_ins), 0)
  })

  it('shows the change page in English with the UI language', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    await age(admin, 200)
    const { agent, landing } = await consoleAgent(admin, 'en')
    assert.equal(new URL(landing.url).pathname, '/admin/password')
    assert.match(landing.body, /Your password must be changed before you continue/)
    const short = await changePassword(agent, { current: admin.password, password: 'tiny', confirm: 'tiny' })
    assert.match(short.body, /The password is too short/)
  })

  it('treats a password of unknown age (imported) or set under the residents’ policy as expired', async () => {
    const imported = await addAdmin(server, 'county_admin', '230102')
    await age(imported, null)
    assert.equal(new URL((await consoleAgent(imported)).landing.url).pathname, '/admin/password')
    const weakened = await addAdmin(server, 'county_admin', '230102')
    await age(weakened, 1, 'person')
    assert.equal(new URL((await consoleAgent(weakened)).landing.url).pathname, '/admin/password')
  })

  it('backfills existing accounts with their creation time and the residents’ policy', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const created = Date.now() - 400 * DAY_MS
    const migration = { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'], name: '20261128300300_add_password_changed_at_to_persons.ts' }
    await server.onedoor.db.migrate.down(migration)
    await server.onedoor.db('persons').where({ id: admin.personId }).update({ created_at: created })
    await server.onedoor.db.migrate.up(migration)
    const row = await server.onedoor.db('persons').where({ id: admin.personId }).first()
    assert.equal(Number(row.password_changed_at), created)
    assert.equal(row.password_policy, 'person')
    assert.equal(new URL((await consoleAgent(admin)).landing.url).pathname, '/admin/password', 'so an old administrator account changes its password')
  })

  it('refuses the admin API with ADMIN_PASSWORD_EXPIRED until the password is changed', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const token = await adminToken(server, admin)
    assert.equal((await api(server, token).get('/clients')).status, 200)
    await age(admin, 91)
    const refused = await api(server, token).get('/clients')
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error, 'ADMIN_PASSWORD_EXPIRED')
  })
})
