/*
 * Threat: an administrator's password alone (phished, reused) opens the console or the admin
 * API. With the default configuration the console asks for acr urn:onedoor:loa:3 (real-name
 * level 2 plus TOTP in this sign-in) and both the console and the API refuse anything less.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminApiResource, CONSOLE_CLIENT_ID } from '../../src/admin/tokens.js'
import { totpCodeAt } from '../../src/mfa/index.js'
import { ACR, enrolTotp, verifyAtCounter, walkSignIn } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addAdmin, api, type TestAdmin } from './admin-helpers.js'

describe('admin sign-in requires level 3 by default', function () {
  this.timeout(90_000)
  let server: TestServer
  let admin: TestAdmin

  before(async () => {
    server = await startOneDoor()
    assert.equal(server.config.admin.requiredAcr, ACR[3])
    admin = await addAdmin(server, 'county_admin', '230102')
  })
  after(() => server.close())

  async function apiToken(params: Record<string, string>, totp?: () => string | undefined): Promise<string | undefined> {
    const config = await discover(server.url, CONSOLE_CLIENT_ID)
    const redirectUri = `${server.url}/admin/callback`
    const resource = adminApiResource(server.url)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid admin', resource, ...params })
    const walk = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: admin.idNumber, password: admin.password, totp })
    if (!walk.callbackUrl) return undefined
    const tokens = await oidc.authorizationCodeGrant(config, walk.callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce }, { resource })
    return tokens.access_token
  }

  it('refuses an admin-API token from a password-only sign-in', async () => {
    const token = await apiToken({})
    assert.ok(token)
    const res = await api(server, token).get('/clients')
    assert.equal(res.status, 403)
    assert.equal(res.body.error, 'ADMIN_ASSURANCE_TOO_LOW')
  })

  it('does not let a level-1 administrator through the console sign-in', async () => {
    const agent = new UserAgent()
    const walk = await walkSignIn(agent, `${server.url}/admin/login`, `${server.url}/admin/callback`, { identifier: admin.idNumber, password: admin.password })
    assert.equal(walk.callbackUrl, undefined)
    const home = await agent.get(`${server.url}/admin`, (u) => u.pathname === '/auth')
    assert.equal(home.status, 0, 'no console session: sent back to sign in')
  })

  it('opens the console and the API after real-name level 2 and TOTP', async () => {
    await verifyAtCounter(server, admin.personId)
    // Two sign-ins below use the steps either side of the enrolment step; keep clear of a step boundary.
    if (Date.now() % 30_000 > 20_000) await sleep(30_000 - (Date.now() % 30_000) + 1000)
    const { secret, enrolledAt } = await enrolTotp(server, admin.personId)

    const token = await apiToken({ acr_values: ACR[3] }, (() => { let used = false; return () => (used ? undefined : ((used = true), totpCodeAt(secret, enrolledAt - 30_000))) })())
    assert.ok(token)
    const res = await api(server, token).get('/clients')
    assert.equal(res.status, 200, JSON.stringify(res.body))

    const agent = new UserAgent()
    let code: string | undefined = totpCodeAt(secret, enrolledAt + 30_000)
    const walk = await walkSignIn(agent, `${server.url}/admin/login`, `${server.url}/admin/callback`, { identifier: admin.idNumber, password: admin.password, totp: () => { const c = code; code = undefined; return c } })
    assert.ok(walk.callbackUrl, walk.page.body.slice(0, 300))
    const home = await agent.get(walk.callbackUrl!.toString())
    assert.equal(home.status, 200)
    assert.match(home.body, /230102/)
    const started = await server.onedoor.db('audit_events').where({ type: 'admin.session.started', actor_id: admin.personId }).first()
    assert.equal(JSON.parse(started.details).acr, ACR[3])
  })
})
