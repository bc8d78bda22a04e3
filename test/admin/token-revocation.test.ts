/*
 * Admin-API access tokens are JWTs, valid by signature until they expire. Threat: a token copied
 * from an administrator's machine keeps working after the administrator was disabled, had their
 * sessions ended, signed out or changed a leaked password. Each of these cuts the person's
 * earlier tokens at the next API request (admin_token_cutoffs, checked on every request).
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestServer } from '../helpers/onedoor.js'
import { findForm } from '../helpers/user-agent.js'
import { addAdmin, adminToken, api, consoleSignIn, startAdminServer, submitConsoleForm } from './admin-helpers.js'

describe('admin-API token revocation', function () {
  this.timeout(120_000)
  let server: TestServer

  before(async () => {
    server = await startAdminServer()
  })
  after(() => server.close())

  /** JWT iat has one-second resolution: a token from the second of a cut counts as cut. */
  async function nextSecond() {
    await sleep(1000 - (Date.now() % 1000) + 50)
  }

  it('refuses an administrator’s tokens once another administrator ends their sessions', async () => {
    const province = await addAdmin(server, 'province_admin', '230000')
    const county = await addAdmin(server, 'county_admin', '230102')
    const provinceToken = await adminToken(server, province)
    const countyToken = await adminToken(server, county)
    assert.equal((await api(server, countyToken).get('/me')).status, 200)

    const ended = await api(server, provinceToken).post(`/persons/${county.personId}/end-sessions`, { reason: '疑似令牌泄露，结束全部会话' })
    assert.equal(ended.status, 200, JSON.stringify(ended.body))
    const refused = await api(server, countyToken).get('/me')
    assert.equal(refused.status, 401)
    assert.equal(refused.body.error, 'ADMIN_UNAUTHENTICATED')
    assert.equal((await api(server, provinceToken).get('/me')).status, 200, 'other administrators are untouched')

    await nextSecond()
    const fresh = await adminToken(server, county)
    assert.equal((await api(server, fresh).get('/me')).status, 200, 'a new sign-in gets a working token')
  })

  it('refuses the tokens of a disabled administrator, and they stay dead after re-enabling', async () => {
    const province = await addAdmin(server, 'province_admin', '230000')
    const county = await addAdmin(server, 'county_admin', '230102')
    const provinceToken = await adminToken(server, province)
    const countyToken = await adminToken(server, county)
    assert.equal((await api(server, provinceToken).post(`/persons/${county.personId}/disable`, { reason: '管理员已离职，停用账号' })).status, 200)
    assert.notEqual((await api(server, countyToken).get('/me')).status, 200)
    assert.equal((await api(server, provinceToken).post(`/persons/${county.personId}/enable`, { reason: '误操作，恢复账号使用' })).status, 200)
    const after = await api(server, countyToken).get('/me')
    assert.equal(after.status, 401, 'the old token does not come back with the account')
  })

  it('ends the API tokens with the console sign-out and with a password change', async () => {
    const admin = await addAdmin(server, 'county_admin', '230102')
    const token = await adminToken(server, admin)
    const { agent, landing: home } = await consoleSignIn(server, admin)
    assert.equal((await api(server, token).get('/me')).status, 200)
    const logout = findForm(home.body, '/admin/logout')
    assert.ok(logout)
    await agent.postForm(new URL(logout.action, server.url).toString(), logout.hidden)
    assert.equal((await api(server, token).get('/me')).status, 401)
    const ended = await server.onedoor.db('audit_events').where({ type: 'admin.session.ended', actor_id: admin.personId })
    assert.equal(ended.length, 1)

    await nextSecond()
    const second = await adminToken(server, admin)
    assert.equal((await api(server, second).get('/me')).status, 200)
    const { agent: agent2 } = await consoleSignIn(server, admin)
    const changed = await submitConsoleForm(server, agent2, '/admin/password', '/admin/password', { current: admin.password, password: 'another admin passphrase entirely', confirm: 'another admin passphrase entirely' })
    assert.equal(new URL(changed.url).pathname, '/admin')
    assert.equal((await api(server, second).get('/me')).status, 401, 'a changed password ends the earlier tokens')
  })
})
