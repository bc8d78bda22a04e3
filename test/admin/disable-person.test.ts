/*
 * Disabling a person ends everything they are signed in to, like ending their sessions: the
 * portals their sessions reached get a back-channel logout token, the tokens stop working, and
 * the session asks for a new sign-in (which the disabled account cannot pass).
 */
import assert from 'node:assert/strict'
import type { TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { afterThisSecond } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addPortal, closePortals, signInAt, silentSignIn, type Portal } from '../federation/slo-helpers.js'
import { addAdmin, adminToken, api, startAdminServer } from './admin-helpers.js'

describe('admin: disabling a person', function () {
  this.timeout(60_000)
  let server: TestServer
  let portal: Portal

  before(async () => {
    server = await startAdminServer()
    portal = await addPortal(server, 'Hulan')
  })
  after(async () => {
    await closePortals([portal])
    await server?.close()
  })

  it('logs the person out at every portal and refuses their tokens; re-enabled, they sign in again', async () => {
    const province = await addAdmin(server, 'province_admin', '230000')
    const token = await adminToken(server, province)
    const resident = await server.addPerson({ name: '郑十一' })
    const agent = new UserAgent()
    const signedIn = await signInAt(agent, portal, resident)

    const disabled = await api(server, token).post(`/persons/${resident.id}/disable`, { reason: '冒用身份，停用待查' })
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body))
    await server.onedoor.logout.drain()
    assert.equal(portal.receiver.tokens.length, 1, 'the portal was told')
    await assert.rejects(oidc.refreshTokenGrant(portal.config, signedIn.tokens.refresh_token!), (err: { error?: string }) => err.error === 'invalid_grant')
    assert.equal((await silentSignIn(agent, portal)).error, 'login_required')
    assert.deepEqual(await server.onedoor.logout.listSessions(resident.id), [])

    assert.equal((await api(server, token).post(`/persons/${resident.id}/enable`, { reason: '核实无误，恢复' })).status, 200)
    await afterThisSecond()
    assert.ok((await signInAt(agent, portal, resident)).claims.sub)
  })
})
