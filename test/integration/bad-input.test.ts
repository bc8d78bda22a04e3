/*
 * Bad input at every endpoint answers a 4xx: OAuth-shaped JSON for API callers, a readable
 * page for browsers; never a 5xx and never a stack trace (issue 2, Tests).
 */
import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { basicAuth, type TestClient } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

interface Probe {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string
}

interface Answer {
  status: number
  type: string
  text: string
  json?: Record<string, unknown>
}

const FORM = 'application/x-www-form-urlencoded'
const HUGE = 'x'.repeat(2 * 1024 * 1024)

describe('bad input never causes a 5xx', () => {
  let server: TestServer
  let client: TestClient
  let publicClient: TestClient
  const redirectUri = 'http://127.0.0.1:9/bad-cb'

  before(async () => {
    server = await startOneDoor()
    client = await server.addClient({ redirectUris: [redirectUri] })
    publicClient = await server.addClient({ redirectUris: [redirectUri], public: true })
  })
  after(async () => server?.close())

  async function send(probe: Probe): Promise<Answer> {
    const response = await fetch(`${server.url}${probe.path}`, { method: probe.method ?? 'GET', headers: probe.headers, body: probe.body, redirect: 'manual' })
    const text = await response.text()
    const type = response.headers.get('content-type') ?? ''
    let json: Record<string, unknown> | undefined
    if (type.includes('json')) json = JSON.parse(text)
    return { status: response.status, type, text, json }
  }

  /** 4xx, and either an OAuth error object or an HTML page without internals. */
  function assertClientError(answer: Answer, label: string, expectedError?: string | RegExp): void {
    assert.ok(answer.status >= 400 && answer.status < 500, `${label}: expected 4xx, got ${answer.status} ${answer.text.slice(0, 300)}`)
    assert.doesNotMatch(answer.text, /\n\s+at .+:\d+:\d+/, `${label}: stack trace in the answer`)
    assert.doesNotMatch(answer.text, /node_modules|TypeError|ReferenceError|SQLITE|knex/i, `${label}: internals in the answer`)
    if (answer.json) {
      assert.equal(typeof answer.json.error, 'string', `${label}: OAuth error shape`)
      if (expectedError instanceof RegExp) assert.match(String(answer.json.error), expectedError, label)
      else if (expectedError) assert.equal(answer.json.error, expectedError, label)
    } else if (answer.text) {
      assert.match(answer.type, /text\/html|text\/plain/, `${label}: content type ${answer.type}`)
      if (expectedError && answer.type.includes('html')) assert.match(answer.text, expectedError instanceof RegExp ? expectedError : new RegExp(expectedError), label)
    }
  }

  const json = { accept: 'application/json' }
  const html = { accept: 'text/html' }

  describe('authorization endpoint', () => {
    it('answers a request without parameters with an error page', async () => {
      assertClientError(await send({ path: '/auth', headers: html }), 'GET /auth', 'invalid_request')
    })

    it('answers an unknown client with an error page, never a redirect', async () => {
      const answer = await send({ path: `/auth?client_id=nope&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}&scope=openid`, headers: html })
      assertClientError(answer, 'unknown client', 'invalid_client')
    })

    it('answers an unregistered redirect_uri with an error page, never a redirect to it', async () => {
      const answer = await send({ path: `/auth?client_id=${client.clientId}&response_type=code&redirect_uri=https%3A%2F%2Fattacker.example%2F&scope=openid&code_challenge=abc&code_challenge_method=S256`, headers: html })
      assertClientError(answer, 'bad redirect_uri', 'invalid_redirect_uri')
    })

    it('refuses the implicit flow and unknown scopes at the redirect_uri', async () => {
      for (const query of ['response_type=token', 'response_type=id_token', 'response_type=code&scope=openid%20admin&prompt=none', 'response_type=code&response_mode=web_message']) {
        const answer = await send({ path: `/auth?client_id=${client.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&${query}`, headers: html })
        if (answer.status === 303 || answer.status === 302) continue // an OAuth error delivered to the registered redirect_uri
        assertClientError(answer, query)
      }
    })

    it('answers duplicate parameters, malformed encoding and an oversized query with a 4xx', async () => {
      assertClientError(await send({ path: `/auth?client_id=${client.clientId}&client_id=${client.clientId}`, headers: html }), 'duplicate client_id')
      assertClientError(await send({ path: '/auth?client_id=%E0%A4%A', headers: html }), 'malformed percent-encoding')
      assertClientError(await send({ path: `/auth?client_id=${client.clientId}&state=${'s'.repeat(20_000)}`, headers: html }), 'oversized query')
    })

    it('answers a POST with a JSON body with a 4xx', async () => {
      assertClientError(await send({ method: 'POST', path: '/auth', headers: { ...html, 'content-type': 'application/json' }, body: '{"client_id":1}' }), 'POST /auth json')
    })
  })

  describe('token endpoint', () => {
    const tokenPost = (body: string, headers: Record<string, string> = {}) =>
      send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client), ...headers }, body })

    it('refuses a missing, unknown or forbidden grant_type', async () => {
      assertClientError(await tokenPost(''), 'empty body', 'invalid_request')
      assertClientError(await tokenPost('grant_type=magic'), 'unknown grant', 'unsupported_grant_type')
      assertClientError(await tokenPost('grant_type=password&username=a&password=b'), 'password grant', 'unsupported_grant_type')
      assertClientError(await tokenPost('grant_type=implicit'), 'implicit grant', 'unsupported_grant_type')
    })

    it('refuses garbage codes and refresh tokens with invalid_grant', async () => {
      assertClientError(await tokenPost(`grant_type=authorization_code&code=garbage&redirect_uri=${encodeURIComponent(redirectUri)}&code_verifier=${'a'.repeat(43)}`), 'garbage code', 'invalid_grant')
      assertClientError(await tokenPost('grant_type=refresh_token&refresh_token=garbage'), 'garbage refresh token', 'invalid_grant')
      assertClientError(await tokenPost('grant_type=authorization_code'), 'missing code', 'invalid_request')
    })

    it('refuses missing or wrong client authentication', async () => {
      assertClientError(await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM }, body: 'grant_type=client_credentials' }), 'no auth', /invalid_(request|client)/)
      assertClientError(await tokenPost('grant_type=client_credentials', { authorization: 'Basic !!!notbase64' }), 'bad basic header', /invalid_(request|client)/)
      assertClientError(await tokenPost('grant_type=client_credentials', { authorization: basicAuth({ clientId: client.clientId, clientSecret: 'wrong' }) }), 'wrong secret', 'invalid_client')
      assertClientError(await tokenPost('grant_type=client_credentials', { authorization: basicAuth({ clientId: 'nobody', clientSecret: 'x' }) }), 'unknown client', 'invalid_client')
      assertClientError(await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM }, body: `grant_type=client_credentials&client_id=${client.clientId}&client_secret=x&client_assertion=y` }), 'two auth methods', /invalid_(request|client)/)
    })

    it('refuses a wrong content type, a non-POST method and a huge body', async () => {
      assertClientError(await tokenPost('{"grant_type":"client_credentials"}', { 'content-type': 'application/json' }), 'json body')
      assertClientError(await tokenPost('grant_type=client_credentials', { 'content-type': 'text/plain' }), 'text body')
      assertClientError(await send({ path: '/token', headers: json }), 'GET /token')
      assertClientError(await send({ method: 'PUT', path: '/token', headers: json }), 'PUT /token')
      assertClientError(await tokenPost(`grant_type=client_credentials&junk=${HUGE}`), 'huge body')
    })

    it('refuses a public client without its code_verifier', async () => {
      const answer = await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM }, body: `grant_type=authorization_code&code=x&client_id=${publicClient.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}` })
      assertClientError(answer, 'public without verifier', /invalid_(grant|request)/)
    })
  })

  describe('userinfo', () => {
    it('refuses missing, garbage and wrongly placed tokens with 4xx', async () => {
      assertClientError(await send({ path: '/me', headers: json }), 'no token', /invalid_(token|request)/)
      assertClientError(await send({ path: '/me', headers: { ...json, authorization: 'Bearer garbage' } }), 'garbage token', 'invalid_token')
      assertClientError(await send({ path: '/me', headers: { ...json, authorization: 'Basic abc' } }), 'basic scheme', /invalid_(token|request)/)
      assertClientError(await send({ path: '/me?access_token=garbage', headers: { ...json, authorization: 'Bearer garbage' } }), 'two tokens', /invalid_(token|request)/)
      assertClientError(await send({ method: 'POST', path: '/me', headers: { ...json, 'content-type': 'application/json' }, body: '{"access_token":"x"}' }), 'json post', /invalid_(token|request)/)
      assertClientError(await send({ method: 'POST', path: '/me', headers: { ...json, 'content-type': FORM }, body: `access_token=${HUGE}` }), 'huge post')
    })
  })

  describe('introspection and revocation', () => {
    for (const endpoint of ['/token/introspection', '/token/revocation']) {
      it(`${endpoint}: refuses a missing token, no client authentication, wrong content type, huge body`, async () => {
        const post = (body: string, headers: Record<string, string> = {}) =>
          send({ method: 'POST', path: endpoint, headers: { ...json, 'content-type': FORM, authorization: basicAuth(client), ...headers }, body })
        assertClientError(await post(''), 'missing token', 'invalid_request')
        assertClientError(await send({ method: 'POST', path: endpoint, headers: { ...json, 'content-type': FORM }, body: 'token=x' }), 'no client auth', /invalid_(request|client)/)
        assertClientError(await post('{"token":"x"}', { 'content-type': 'application/json' }), 'json body')
        assertClientError(await post(`token=${HUGE}`), 'huge body')
        assertClientError(await send({ path: endpoint, headers: json }), 'GET')
        const unknownHint = await post('token=x&token_type_hint=banana')
        assert.ok(unknownHint.status === 200 || (unknownHint.status >= 400 && unknownHint.status < 500), `unknown hint: ${unknownHint.status}`)
      })
    }
  })

  // Token look-ups of concurrent requests share one statement on PostgreSQL (grouped-lookups.ts):
  // a token the database cannot even compare (a NUL byte, bytes that are not UTF-8) must fail
  // alone, and the other requests in its batch must get their answers.
  describe('tokens the database cannot store', () => {
    const strange = ['%00', 'a%00b', '%FF%FE', '%22%7B%7D%5C', `${'%E4%B8%80'.repeat(3000)}`]
    it('answers each at introspection, revocation, refresh and userinfo with a 2xx or 4xx, and the valid tokens beside them as usual', async () => {
      const grant = await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client) }, body: 'grant_type=client_credentials' })
      assert.equal(grant.status, 200, grant.text)
      const valid = String(grant.json?.access_token)
      const introspect = (token: string) => send({ method: 'POST', path: '/token/introspection', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client) }, body: `token=${token}` })
      for (let round = 0; round < 3; round += 1) {
        const answers = await Promise.all([...strange.map(introspect), introspect(valid), ...strange.map(introspect), introspect(valid)])
        answers.forEach((a, i) => assert.ok(a.status < 500, `introspection ${i}: ${a.status} ${a.text.slice(0, 200)}`))
        const validAnswers = [answers[strange.length], answers[answers.length - 1]]
        for (const a of validAnswers) assert.equal(a.json?.active, true, `the valid token beside them: ${a.text.slice(0, 200)}`)
        for (const a of answers.filter((_, i) => i !== strange.length && i !== answers.length - 1)) assert.ok(a.status >= 400 || a.json?.active === false, a.text.slice(0, 200))
      }
      for (const token of strange) {
        const revoke = await send({ method: 'POST', path: '/token/revocation', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client) }, body: `token=${token}` })
        assert.ok(revoke.status < 500, `revocation: ${revoke.status} ${revoke.text.slice(0, 200)}`)
        assertClientError(await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client) }, body: `grant_type=refresh_token&refresh_token=${token}` }), `refresh ${token.slice(0, 12)}`, /invalid_(grant|request)/)
        const userinfo = await send({ method: 'POST', path: '/me', headers: { ...json, 'content-type': FORM }, body: `access_token=${token}` })
        assert.ok(userinfo.status >= 400 && userinfo.status < 500, `userinfo: ${userinfo.status} ${userinfo.text.slice(0, 200)}`)
      }
    })
  })

  describe('keys with a NUL byte (PostgreSQL cannot hold one)', () => {
    it('answers a client id, code, request_uri or interaction with one as unknown, never a 5xx', async () => {
      const challenge = 'code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256'
      const cb = encodeURIComponent(redirectUri)
      assertClientError(await send({ path: `/auth?client_id=a%00b&response_type=code&scope=openid&redirect_uri=${cb}&${challenge}`, headers: html }), 'client_id at /auth', 'invalid_client')
      assertClientError(await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM }, body: 'grant_type=client_credentials&client_id=a%00b&client_secret=x' }), 'client_id at /token', 'invalid_client')
      assertClientError(await send({ method: 'POST', path: '/token', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client) }, body: `grant_type=authorization_code&code=a%00b&redirect_uri=${cb}&code_verifier=${'a'.repeat(43)}` }), 'code', 'invalid_grant')
      const requestUri = await send({ path: `/auth?client_id=${client.clientId}&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aa%00b`, headers: html })
      assert.equal(requestUri.status, 303, requestUri.text.slice(0, 200))
      assert.match(requestUri.text, /error=invalid_request_uri/)
      assertClientError(await send({ path: '/interaction/a%00b', headers: html }), 'interaction uid')
    })
  })

  describe('pushed authorization requests', () => {
    it('refuses garbage, missing authentication, wrong content type and a huge body', async () => {
      const post = (body: string, headers: Record<string, string> = {}) =>
        send({ method: 'POST', path: '/request', headers: { ...json, 'content-type': FORM, authorization: basicAuth(client), ...headers }, body })
      assertClientError(await post(''), 'empty', 'invalid_request')
      assertClientError(await post('response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fattacker.example%2F&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256'), 'bad redirect', /invalid_(request|redirect_uri)/)
      assertClientError(await post('request_uri=urn:ietf:params:oauth:request_uri:x&response_type=code'), 'request_uri inside PAR', /invalid_request|request_uri_not_supported/)
      assertClientError(await send({ method: 'POST', path: '/request', headers: { ...json, 'content-type': FORM }, body: 'response_type=code' }), 'no auth', /invalid_(request|client)/)
      assertClientError(await post('{}', { 'content-type': 'application/json' }), 'json')
      assertClientError(await post(`response_type=code&state=${HUGE}`), 'huge body')
      assertClientError(await send({ path: '/request', headers: json }), 'GET /request')
    })
  })

  describe('end session', () => {
    it('answers a garbage id_token_hint, a bad confirmation and unknown clients with a readable page', async () => {
      assertClientError(await send({ path: '/session/end?id_token_hint=garbage', headers: html }), 'garbage hint', 'invalid_request')
      assertClientError(await send({ path: `/session/end?client_id=nobody&post_logout_redirect_uri=${encodeURIComponent(redirectUri)}`, headers: html }), 'unknown client')
      // Without a session there is nothing to confirm: oidc-provider submits the logout itself,
      // and an unverifiable post_logout_redirect_uri is not followed.
      const anonymous = await send({ path: `/session/end?post_logout_redirect_uri=${encodeURIComponent(redirectUri)}`, headers: html })
      assert.equal(anonymous.status, 200)
      assert.ok(!anonymous.text.includes(redirectUri), 'the unverified redirect target is not used')
      assertClientError(await send({ method: 'POST', path: '/session/end/confirm', headers: { ...html, 'content-type': FORM }, body: 'xsrf=forged&logout=yes' }), 'forged confirm')
      assertClientError(await send({ method: 'POST', path: '/session/end/confirm', headers: { ...html, 'content-type': FORM }, body: '' }), 'empty confirm')
      assertClientError(await send({ method: 'POST', path: '/session/end/confirm', headers: { ...html, 'content-type': FORM }, body: `xsrf=${HUGE}` }), 'huge confirm')
    })
  })

  describe('interaction pages', () => {
    async function openInteraction(): Promise<{ agent: UserAgent; uid: string; loginUrl: string }> {
      const config = await discover(server.url, client.clientId, client.clientSecret)
      const start = await startAuthorization(config, { redirect_uri: redirectUri })
      const agent = new UserAgent()
      const page = await agent.get(start.url.toString())
      const uid = /\/interaction\/([^/]+)\/login"/.exec(page.body)?.[1]
      assert.ok(uid, 'a login page with its interaction id')
      return { agent, uid, loginUrl: `${server.url}/interaction/${uid}/login` }
    }

    it('answers garbage and missing fields on a live interaction without a 5xx', async () => {
      const { agent, uid } = await openInteraction()
      const attempts: Record<string, string>[] = [{}, { identifier: '' }, { identifier: 'x'.repeat(5000), password: 'y' }, { identifier: '<script>alert(1)</script>', password: '' }, { 'identifier[]': 'a' }]
      for (const fields of attempts) {
        const page = await agent.postForm(`${server.url}/interaction/${uid}/login`, fields)
        assertClientError({ status: page.status, type: page.headers.get('content-type') ?? '', text: page.body }, JSON.stringify(fields).slice(0, 40))
        assert.ok(!page.body.includes('<script>alert(1)</script>'), 'input is escaped')
      }
      const confirmTooEarly = await agent.postForm(`${server.url}/interaction/${uid}/confirm`, { consent: 'yes' })
      assert.ok(confirmTooEarly.status < 500, `confirm before login: ${confirmTooEarly.status}`)
    })

    it('answers a huge body, a JSON body and a multipart body with a 4xx', async () => {
      const { agent, uid } = await openInteraction()
      const cookie = (agent as unknown as { cookieHeader(url: URL): string }).cookieHeader(new URL(`${server.url}/interaction/${uid}/login`))
      const post = (body: string, type: string) => send({ method: 'POST', path: `/interaction/${uid}/login`, headers: { ...html, cookie, 'content-type': type }, body })
      assertClientError(await post(`identifier=${'x'.repeat(64 * 1024)}&password=y`, FORM), 'huge form')
      assertClientError(await post('{"identifier":"x","password":"y"}', 'application/json'), 'json')
      assertClientError(await post('--b\r\nContent-Disposition: form-data; name="identifier"\r\n\r\nx\r\n--b--\r\n', 'multipart/form-data; boundary=b'), 'multipart')
      assertClientError(await post('identifier=%E0%A4%A&password=y', FORM), 'malformed encoding')
    })

    it('answers odd interaction paths and methods with a 4xx', async () => {
      assertClientError(await send({ path: '/interaction/%E0%A4%A', headers: html }), 'malformed uid')
      assertClientError(await send({ path: `/interaction/${'a'.repeat(5000)}`, headers: html }), 'long uid')
      assertClientError(await send({ method: 'PUT', path: '/interaction/abc/login', headers: html }), 'PUT')
      assertClientError(await send({ method: 'DELETE', path: '/interaction/abc', headers: html }), 'DELETE')
    })
  })

  describe('anything else', () => {
    it('answers unknown paths with 404 in the OAuth shape or as a page', async () => {
      const api = await send({ path: '/no/such/path', headers: json })
      assert.equal(api.status, 404)
      assert.equal(api.json?.error, 'not_found')
      const page = await send({ path: '/no/such/path', headers: html })
      assert.equal(page.status, 404)
      assert.match(page.type, /html/)
    })

    it('answers odd methods on discovery and JWKS with a 4xx', async () => {
      assertClientError(await send({ method: 'POST', path: '/jwks', headers: json }), 'POST /jwks')
      assertClientError(await send({ method: 'DELETE', path: '/.well-known/openid-configuration', headers: json }), 'DELETE discovery')
      assertClientError(await send({ method: 'POST', path: '/healthz', headers: json }), 'POST /healthz')
    })
  })
})
