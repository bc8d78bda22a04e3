/*
 * Threats: clickjacking of the login page, script injection, codes leaking through the
 * Referer header, and session cookies read by scripts or sent on cross-site posts.
 */
import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { signIn, type TestClient, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

describe('security headers and cookies', () => {
  let server: TestServer
  let client: TestClient
  let person: TestPerson
  const redirectUri = 'http://127.0.0.1:9/headers-cb'
  const postLogoutUri = 'http://127.0.0.1:9/headers-out'
  const pages: Record<string, PageResponse> = {}
  const setCookies: string[] = []

  /** Keeps every Set-Cookie header the server sends to `agent`. */
  function recordingAgent(): UserAgent {
    const agent = new UserAgent()
    const store = (agent as unknown as { store(url: URL, lines: string[]): void }).store.bind(agent)
    ;(agent as unknown as { store(url: URL, lines: string[]): void }).store = (url, lines) => {
      setCookies.push(...lines)
      store(url, lines)
    }
    return agent
  }

  before(async () => {
    server = await startOneDoor()
    client = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri] })
    person = await server.addPerson()

    const config = await discover(server.url, client.clientId, client.clientSecret)
    const loginStart = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid profile' })
    const agent = recordingAgent()
    pages.login = await agent.get(loginStart.url.toString())
    pages.consent = await agent.submit(pages.login, '/login', { identifier: person.phone, password: person.password }, (url) => url.toString().startsWith(redirectUri))
    pages.expired = await new UserAgent().get(`${server.url}/interaction/not-a-real-one`)
    pages.error = await new UserAgent().get(`${server.url}/auth?client_id=unknown`)
    pages.notFound = await new UserAgent().get(`${server.url}/nowhere`)

    const session = await signIn(server, client, person, { redirectUri, agent: recordingAgent() })
    const endSession = oidc.buildEndSessionUrl(session.config, { id_token_hint: session.tokens.id_token!, post_logout_redirect_uri: postLogoutUri })
    pages.logout = await session.agent.get(endSession.toString())
    assert.ok(pages.login.body.includes('/login"') && pages.consent.body.includes('/confirm"') && pages.logout.body.includes('op.logoutForm'))
  })
  after(async () => server?.close())

  for (const name of ['login', 'consent', 'logout', 'expired', 'error', 'notFound']) {
    describe(`the ${name} page`, () => {
      it('sends a CSP without unsafe-inline that forbids framing', () => {
        const csp = pages[name].headers.get('content-security-policy') ?? ''
        assert.match(csp, /default-src 'self'/)
        assert.match(csp, /frame-ancestors 'none'/)
        assert.match(csp, /object-src 'none'/)
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
        assert.doesNotMatch(csp, /https?:\/\//, 'no third-party sources')
      })

      it('sends Referrer-Policy no-referrer, X-Frame-Options DENY, nosniff and no-store', () => {
        const headers = pages[name].headers
        assert.equal(headers.get('referrer-policy'), 'no-referrer')
        assert.equal(headers.get('x-frame-options'), 'DENY')
        assert.equal(headers.get('x-content-type-options'), 'nosniff')
        assert.match(headers.get('cache-control') ?? '', /no-store/)
      })

      it('has no inline script or style and no third-party asset', () => {
        const body = pages[name].body
        assert.match(body, /<html lang=/)
        assert.doesNotMatch(body, /<script/i)
        assert.doesNotMatch(body, /\sstyle=/i)
        assert.doesNotMatch(body, /<style/i)
        assert.doesNotMatch(body, /(src|href)="https?:\/\//i)
        assert.match(body, /<meta name="viewport"/, 'mobile friendly')
      })
    })
  }

  it('labels every visible input of the login page', () => {
    const inputs = pages.login.body.match(/<input[^>]*>/g) ?? []
    const visible = inputs.filter((input) => !/type="hidden"/.test(input))
    assert.ok(visible.length >= 2)
    for (const input of visible) {
      const id = /id="([^"]+)"/.exec(input)?.[1]
      assert.ok(id && pages.login.body.includes(`<label for="${id}">`), `input ${input} has a label`)
    }
  })

  it('sets every cookie HttpOnly and SameSite=Lax (not Secure over a plain-http issuer)', () => {
    assert.ok(setCookies.length > 0)
    const names = new Set<string>()
    for (const line of setCookies) {
      names.add(line.split('=')[0])
      assert.match(line, /;\s*httponly/i, line)
      assert.match(line, /;\s*samesite=lax/i, line)
    }
    assert.ok(names.has('_interaction') && names.has('_session'), `cookies seen: ${[...names].join(', ')}`)
  })

  it('serves the stylesheet from its own origin with a text/css type', async () => {
    const response = await fetch(`${server.url}/assets/onedoor.css`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/css/)
    assert.ok((await response.text()).length > 100)
  })
})
