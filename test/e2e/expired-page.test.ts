/*
 * The "sign-in expired" page offers a way back (issue 2, Pages): to the portal the sign-in came
 * from when it is still known (its registered portal URL, client_uri or first redirect URI's
 * origin), else to the home page. Threat: an open redirect; the link is only ever a registered
 * address, never anything taken from the request.
 */
import assert from 'node:assert/strict'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

const REDIRECT_URI = 'http://127.0.0.1:9/portal/cb'

describe('the "sign-in expired" page', () => {
  let server: TestServer
  let plain: { clientId: string; clientSecret?: string }
  let withPortal: { clientId: string; clientSecret?: string }

  before(async () => {
    server = await startOneDoor()
    plain = await server.addClient({ name: '道里区政务服务网', redirectUris: [REDIRECT_URI] })
    withPortal = await server.addClient({ name: 'Harbin portal', redirectUris: [REDIRECT_URI], portalUrl: 'https://portal.harbin.example/' })
  })
  after(() => server?.close())

  async function openLoginPage(client: { clientId: string; clientSecret?: string }, agent: UserAgent): Promise<{ page: PageResponse; uid: string }> {
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: REDIRECT_URI })
    const page = await agent.get(start.url.toString())
    assert.equal(page.status, 200)
    const uid = /\/interaction\/([^/"]+)\/login"/.exec(page.body)?.[1]
    assert.ok(uid, 'the login page')
    return { page, uid }
  }

  function linkOf(page: PageResponse): { href: string; text: string } | undefined {
    const match = /<a class="button" href="([^"]+)">([^<]+)<\/a>/.exec(page.body)
    return match ? { href: match[1], text: match[2] } : undefined
  }

  it('links back to the portal (its redirect URI\'s origin) when the cookies are gone', async () => {
    const agent = new UserAgent()
    const { page } = await openLoginPage(plain, agent)
    agent.clearCookies()
    const response = await agent.submit(page, '/login', { identifier: '13800000000', password: 'whatever it is' })
    assert.equal(response.status, 400)
    assert.match(response.body, /<h1>登录已过期<\/h1>/)
    assert.deepEqual(linkOf(response), { href: 'http://127.0.0.1:9/', text: '返回道里区政务服务网重新登录' })
  })

  it('links to the registered portal URL after the interaction timed out, in English too', async () => {
    const agent = new UserAgent({ 'accept-language': 'en' })
    const { page, uid } = await openLoginPage(withPortal, agent)
    assert.equal(await server.onedoor.db('oidc_payloads').where({ type: 'Interaction', id: uid }).update({ expires_at: Date.now() - 1000 }), 1)
    const response = await agent.submit(page, '/login', { identifier: '13800000000', password: 'whatever it is' })
    assert.equal(response.status, 400)
    assert.deepEqual(linkOf(response), { href: 'https://portal.harbin.example/', text: 'Back to Harbin portal to sign in again' })
  })

  it('links to the home page when the sign-in is unknown', async () => {
    const response = await new UserAgent().get(`${server.url}/interaction/no-such-interaction?redirect_uri=https://evil.example/`)
    assert.equal(response.status, 400)
    assert.equal(linkOf(response), undefined)
    assert.match(response.body, /<a href="\/">返回首页<\/a>/)
    assert.doesNotMatch(response.body, /evil\.example/)
  })
})
