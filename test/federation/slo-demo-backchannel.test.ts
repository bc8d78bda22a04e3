/*
 * The demo portals' back-channel logout endpoint accepts only what Back-Channel Logout 1.0 §2.6
 * allows. Threat: a forged, replayed or ID-token-shaped token ends a portal's sessions.
 */
import assert from 'node:assert/strict'
import { generateKeyPair, SignJWT } from 'jose'
import { BACKCHANNEL_LOGOUT_EVENT, signLogoutToken } from '../../src/logout/index.js'
import { portalKey, startDemo, type Demo } from '../../src/demo/start-demo.js'
import { createTestDatabase, freePort, testConfig, type TestDatabase } from '../helpers/onedoor.js'

describe('demo portal back-channel endpoint: only valid logout tokens are accepted', () => {
  let database: TestDatabase
  let demo: Demo
  let endpoint: string
  let clientId: string

  before(async () => {
    database = createTestDatabase()
    const port = await freePort()
    const portalPort = await freePort()
    demo = await startDemo({
      config: testConfig(database, port, { backchannelLogout: { retry: { intervalSeconds: 3600 } } }),
      portalPublicUrl: `http://127.0.0.1:${portalPort}`,
      portalPort,
      hostname: '127.0.0.1',
      only: (system) => portalKey(system) === '230102',
    })
    endpoint = `${demo.portalUrl}/portals/230102/backchannel-logout`
    clientId = demo.portals[0].clientId
  })
  after(async () => {
    await demo?.close()
    await database?.drop()
  })

  const post = (body: Record<string, string>) => fetch(endpoint, { method: 'POST', body: new URLSearchParams(body) })

  async function providerSigned(extra: Record<string, unknown> = {}): Promise<string> {
    const provider = demo.onedoor.provider
    const client = (await provider.Client.find(clientId))!
    if (Object.keys(extra).length === 0) return signLogoutToken(provider, client, { clientId, accountId: demo.person.id, sid: 'sid-1' })
    const token = new provider.IdToken({ sub: demo.person.id }, { client, ctx: undefined })
    token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} })
    token.set('jti', `jti-${Math.random()}`)
    for (const [k, v] of Object.entries(extra)) token.set(k, v)
    return token.issue({ use: 'logout' })
  }

  it('accepts a valid token once and refuses its replay', async () => {
    const token = await providerSigned()
    assert.equal((await post({ logout_token: token })).status, 200)
    const replay = await post({ logout_token: token })
    assert.equal(replay.status, 400)
    assert.match((await replay.json()).error_description, /replayed/)
  })

  it('refuses a token carrying a nonce (an ID token is not a logout token)', async () => {
    const response = await post({ logout_token: await providerSigned({ nonce: 'n-1' }) })
    assert.equal(response.status, 400)
    assert.match((await response.json()).error_description, /nonce/)
  })

  it('refuses a token signed by anyone but OneDoor, and a request without one', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: 'sid-1' })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: 'forged' })
      .setIssuer(demo.onedoor.config.issuer)
      .setAudience(clientId)
      .setSubject(demo.person.id)
      .setIssuedAt()
      .setJti('forged-1')
      .sign(privateKey)
    assert.equal((await post({ logout_token: forged })).status, 400)
    assert.equal((await post({})).status, 400)
    assert.equal(demo.host.received.length, 1, 'only the valid token was taken')
  })
})
