import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { freePort, startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc, startAuthorization } from '../helpers/relying-party.js'
import { eventually, signIn, userinfoStatus, type SignedIn, type TestClient, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** A portal's back-channel logout endpoint on 127.0.0.1 that keeps every logout_token it receives. */
async function startLogoutReceiver() {
  const received: string[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token')
      if (req.method === 'POST' && token) received.push(token)
      res.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' }).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    uri: `http://127.0.0.1:${port}/backchannel-logout`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('logout', () => {
  let server: TestServer
  let person: TestPerson
  const redirectUri = 'http://127.0.0.1:9/logout-cb'
  const postLogoutUri = 'http://127.0.0.1:9/signed-out'
  const atPostLogout = (url: URL) => url.toString().startsWith(postLogoutUri)

  before(async () => {
    server = await startOneDoor()
    person = await server.addPerson()
  })
  after(async () => server?.close())

  /** Opens the end-session URL in the browser and confirms on OneDoor's logout page. */
  async function logOutThroughPage(session: SignedIn, extra: Record<string, string> = {}): Promise<{ confirmation: PageResponse; landed: PageResponse }> {
    const url = oidc.buildEndSessionUrl(session.config, { id_token_hint: session.tokens.id_token!, post_logout_redirect_uri: postLogoutUri, state: 'bye', ...extra })
    const confirmation = await session.agent.get(url.toString(), atPostLogout)
    assert.equal(confirmation.status, 200, 'the logout confirmation page')
    const landed = await session.agent.submit(confirmation, '/session/end/confirm', { logout: 'yes' }, atPostLogout)
    return { confirmation, landed }
  }

  async function silentAuthorizationError(session: SignedIn): Promise<string | null> {
    const start = await startAuthorization(session.config, { redirect_uri: redirectUri, prompt: 'none' })
    const landed = await session.agent.get(start.url.toString(), (url) => url.toString().startsWith(redirectUri))
    assert.equal(landed.status, 0)
    return new URL(landed.url).searchParams.get('error')
  }

  describe('RP-initiated logout', () => {
    it('asks for confirmation, ends the session and returns to the post_logout_redirect_uri with state', async () => {
      const client = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri] })
      const session = await signIn(server, client, person, { redirectUri })
      assert.equal(await silentAuthorizationError(session), null, 'signed in before logout')

      const { confirmation, landed } = await logOutThroughPage(session)
      assert.match(confirmation.body, /<html lang="zh-CN">/)
      assert.match(confirmation.body, /退出登录/)
      assert.equal(landed.status, 0, 'back at the portal')
      const params = new URL(landed.url).searchParams
      assert.equal(params.get('state'), 'bye')

      assert.equal(await silentAuthorizationError(session), 'login_required', 'the OneDoor session is gone')
      assert.equal(await userinfoStatus(server, session.tokens.access_token), 401, 'the grant of the session is revoked')
    })

    it('shows the signed-out page when no post_logout_redirect_uri is given', async () => {
      const client = await server.addClient({ redirectUris: [redirectUri] })
      const session = await signIn(server, client, person, { redirectUri, params: { ui_locales: 'en' } })
      const url = oidc.buildEndSessionUrl(session.config, { id_token_hint: session.tokens.id_token!, ui_locales: 'en' })
      const confirmation = await session.agent.get(url.toString())
      assert.match(confirmation.body, /Do you want to sign out/)
      const done = await session.agent.submit(confirmation, '/session/end/confirm', { logout: 'yes' })
      assert.equal(done.status, 200)
      assert.match(done.body, /<h1>(Signed out|已退出登录)<\/h1>/)
      assert.equal(await silentAuthorizationError(session), 'login_required')
    })

    it('refuses a post_logout_redirect_uri that is not registered', async () => {
      const client = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri] })
      const session = await signIn(server, client, person, { redirectUri })
      const url = oidc.buildEndSessionUrl(session.config, { id_token_hint: session.tokens.id_token!, post_logout_redirect_uri: 'https://attacker.example/' })
      const page = await session.agent.get(url.toString())
      assert.equal(page.status, 400)
      assert.match(page.headers.get('content-type') ?? '', /text\/html/)
      assert.match(page.body, /invalid_request/)
    })
  })

  describe('back-channel logout', () => {
    let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>
    before(async () => {
      receiver = await startLogoutReceiver()
    })
    after(async () => receiver?.close())

    it('delivers a verifiable logout token to the portal and records the delivery', async () => {
      const client = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri], backchannelLogoutUri: receiver.uri })
      const session = await signIn(server, client, person, { redirectUri })
      const sid = session.tokens.claims()?.sid
      assert.ok(sid, 'the ID token carries sid for back-channel logout')

      const { landed } = await logOutThroughPage(session)
      assert.equal(landed.status, 0)
      assert.equal(receiver.received.length, 1)
      const logoutToken = receiver.received[0]

      // OpenID Connect Back-Channel Logout 1.0 §2.4 and §2.6.
      assert.equal(decodeProtectedHeader(logoutToken).typ, 'logout+jwt')
      const { payload } = await jwtVerify(logoutToken, createRemoteJWKSet(new URL(`${server.url}/jwks`)), { issuer: server.url, audience: client.clientId, typ: 'logout+jwt' })
      assert.deepEqual(payload.events, { [BACKCHANNEL_EVENT]: {} })
      assert.equal(payload.sid, sid)
      assert.equal(payload.sub, person.id)
      assert.equal(payload.nonce, undefined, 'a logout token never carries a nonce')
      assert.ok(payload.jti && payload.iat)

      const rows = await eventually(async () => {
        const found = await server.onedoor.services.logoutDeliveries.listForClient(client.clientId)
        return found.length > 0 ? found : undefined
      }, 'the delivery record')
      assert.equal(rows.length, 1)
      assert.equal(rows[0].status, 'delivered')
      assert.equal(rows[0].sid, sid)
    })

    it('records an unreachable portal as failed and still completes the logout', async () => {
      const unreachableUri = `http://127.0.0.1:${await freePort()}/backchannel-logout`
      const down: TestClient = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri], backchannelLogoutUri: unreachableUri })
      const up = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri], backchannelLogoutUri: receiver.uri })
      const agent = new UserAgent()
      await signIn(server, up, person, { redirectUri, agent })
      const session = await signIn(server, down, person, { redirectUri, agent })
      const before = receiver.received.length

      const { landed } = await logOutThroughPage(session)
      assert.equal(landed.status, 0, 'the user is returned to the portal despite the failed delivery')
      assert.equal(await silentAuthorizationError(session), 'login_required')
      assert.equal(receiver.received.length, before + 1, 'the reachable portal of the same session is told')

      const failed = await eventually(async () => (await server.onedoor.services.logoutDeliveries.listForClient(down.clientId))[0], 'the failure record')
      assert.equal(failed.status, 'failed')
      assert.ok(failed.error)
      const delivered = await eventually(async () => (await server.onedoor.services.logoutDeliveries.listForClient(up.clientId))[0], 'the delivery record')
      assert.equal(delivered.status, 'delivered')
    })
  })
})
