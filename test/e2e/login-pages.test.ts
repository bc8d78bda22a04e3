import assert from 'node:assert/strict'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { useSignInServer } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

/** The text of the page's alert, if any. */
function alertOf(page: PageResponse): string | undefined {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(page.body)?.[1]
}

function assertNoStackTrace(page: PageResponse): void {
  assert.doesNotMatch(page.body, /\n\s+at .+:\d+:\d+/, 'no stack trace')
  assert.doesNotMatch(page.body, /(TypeError|ReferenceError|SessionNotFound|node_modules)/)
}

describe('login page failures', () => {
  const redirectUri = 'http://127.0.0.1:9/login-cb'
  const env = useSignInServer(redirectUri)

  async function openLoginPage(agent = new UserAgent(), params: Record<string, string> = {}): Promise<PageResponse> {
    const config = await discover(env.server.url, env.client.clientId, env.client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, ...params })
    const page = await agent.get(start.url.toString())
    assert.equal(page.status, 200)
    assert.ok(page.body.includes('/login"'), 'the login page')
    return page
  }

  /*
   * Threat: account enumeration. Whether an ID number or phone is registered must not show in
   * the status or the message (the time is equalised by a dummy argon2 verification).
   */
  it('answers an unknown account and a wrong password with the same status and message', async () => {
    const agent = new UserAgent()
    const wrongPassword = await agent.submit(await openLoginPage(agent), '/login', { identifier: env.person.idNumber, password: 'not the password' })
    const agent2 = new UserAgent()
    const unknownPhone = await agent2.submit(await openLoginPage(agent2), '/login', { identifier: '13000000000', password: 'not the password' })
    const agent3 = new UserAgent()
    const garbage = await agent3.submit(await openLoginPage(agent3), '/login', { identifier: 'nobody', password: 'x' })

    assert.equal(wrongPassword.status, 401)
    assert.equal(unknownPhone.status, wrongPassword.status)
    assert.equal(garbage.status, wrongPassword.status)
    assert.ok(alertOf(wrongPassword), 'an error message is shown')
    assert.equal(alertOf(unknownPhone), alertOf(wrongPassword))
    assert.equal(alertOf(garbage), alertOf(wrongPassword))
    assert.ok(wrongPassword.body.includes('/login"'), 'the user can try again on the same page')
  })

  it('lets the user retry on the same interaction after a failure', async () => {
    const agent = new UserAgent()
    const failed = await agent.submit(await openLoginPage(agent), '/login', { identifier: env.person.phone, password: 'wrong password' })
    const next = await agent.submit(failed, '/login', { identifier: env.person.phone, password: env.person.password }, (url) => url.toString().startsWith(redirectUri))
    assert.equal(next.status, 200)
    assert.ok(next.body.includes('/confirm"'), 'on to the consent page')
  })

  it('answers a login post with missing fields like a wrong password', async () => {
    const agent = new UserAgent()
    const page = await openLoginPage(agent)
    const response = await agent.submit(page, '/login', {})
    assert.equal(response.status, 401)
    assert.ok(alertOf(response))
    assertNoStackTrace(response)
  })

  it('never echoes the password back into the page', async () => {
    const agent = new UserAgent()
    const response = await agent.submit(await openLoginPage(agent), '/login', { identifier: env.person.phone, password: 'Secret-Echo-Check-42' })
    assert.ok(!response.body.includes('Secret-Echo-Check-42'))
  })

  describe('a session that expired mid-login', () => {
    it('shows the friendly expired page when the cookies are gone', async () => {
      const agent = new UserAgent()
      const page = await openLoginPage(agent)
      agent.clearCookies()
      const response = await agent.submit(page, '/login', { identifier: env.person.phone, password: env.person.password })
      assert.equal(response.status, 400)
      assert.match(response.body, /<h1>登录已过期<\/h1>/)
      assertNoStackTrace(response)
    })

    it('shows the expired page when the interaction timed out in the database', async () => {
      const agent = new UserAgent()
      const page = await openLoginPage(agent)
      const uid = /\/interaction\/([^/]+)\/login"/.exec(page.body)![1]
      const expired = await env.server.onedoor.db('oidc_payloads').where({ type: 'Interaction', id: uid }).update({ expires_at: Date.now() - 1000 })
      assert.equal(expired, 1)
      const response = await agent.submit(page, '/login', { identifier: env.person.phone, password: env.person.password })
      assert.equal(response.status, 400)
      assert.match(response.body, /<h1>登录已过期<\/h1>/)
      assertNoStackTrace(response)
    })

    it('shows the expired page for an unknown interaction', async () => {
      const response = await new UserAgent().get(`${env.server.url}/interaction/unknown-interaction-id`)
      assert.equal(response.status, 400)
      assert.match(response.body, /过期|expired/)
      assertNoStackTrace(response)
    })

    it('shows the expired page, in English, for an unknown interaction with Accept-Language en', async () => {
      const response = await new UserAgent({ 'accept-language': 'en' }).get(`${env.server.url}/interaction/unknown-interaction-id`)
      assert.equal(response.status, 400)
      assert.match(response.body, /This sign-in has expired/)
    })

    it('shows the expired page when an interaction is used after it finished', async () => {
      const agent = new UserAgent()
      const page = await openLoginPage(agent)
      const atRp = (url: URL) => url.toString().startsWith(redirectUri)
      const consent = await agent.submit(page, '/login', { identifier: env.person.phone, password: env.person.password }, atRp)
      const landed = await agent.submit(consent, '/confirm', {}, atRp)
      assert.equal(landed.status, 0)
      const again = await agent.submit(page, '/login', { identifier: env.person.phone, password: env.person.password }, atRp)
      assert.equal(again.status, 400)
      assert.match(again.body, /过期|expired/)
      assertNoStackTrace(again)
    })

    it('shows the expired page for POSTs to an unknown interaction', async () => {
      for (const action of ['login', 'confirm', 'abort']) {
        const response = await new UserAgent().postForm(`${env.server.url}/interaction/nope/${action}`, { identifier: 'x', password: 'y' })
        assert.equal(response.status, 400, action)
        assertNoStackTrace(response)
      }
    })
  })

  it('returns access_denied to the portal when the user cancels', async () => {
    const agent = new UserAgent()
    const page = await openLoginPage(agent)
    const landed = await agent.submit(page, '/abort', {}, (url) => url.toString().startsWith(redirectUri))
    assert.equal(landed.status, 0)
    assert.equal(new URL(landed.url).searchParams.get('error'), 'access_denied')
  })
})
