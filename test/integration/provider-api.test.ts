/*
 * Portal back-ends' calls (token, introspection, revocation, userinfo, JWKS) reach the provider
 * before the koa chain that serves the pages (src/http/provider-api.ts). They must still carry
 * everything that chain gives a response: the security headers, a request id a portal can quote,
 * an access-log line without the query string, and `Connection: close` while the node drains.
 */
import assert from 'node:assert/strict'
import pino from 'pino'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { registerClient } from '../../src/oidc/index.js'
import { createTestDatabase, freePort, logLineSink, testConfig, type TestDatabase } from '../helpers/onedoor.js'

describe('provider back-end calls', () => {
  const logged: string[] = []
  const lines = () => logged.map((line) => JSON.parse(line) as Record<string, unknown>)
  let database: TestDatabase
  let onedoor: OneDoor
  let url: string
  let authorization: string
  let closed = false

  before(async () => {
    database = createTestDatabase()
    const port = await freePort()
    const config = testConfig(database, port)
    onedoor = await createOneDoor(config, { logger: pino({ level: 'info' }, logLineSink(logged)) })
    await onedoor.listen(port, '127.0.0.1')
    url = config.issuer
    const client = await registerClient({ config, clients: onedoor.services.clients, loadJwks: onedoor.services.keySet.loadSigningJwks }, { name: 'Back-end call test portal', redirectUris: ['http://127.0.0.1:9/cb'] })
    authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret!)}`).toString('base64')}`
  })
  after(async () => {
    if (!closed) await onedoor?.close(2000)
    await database?.drop()
  })

  const clientCredentials = (headers: Record<string, string> = {}, body = 'grant_type=client_credentials') =>
    fetch(`${url}/token`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })

  function assertSecurityHeaders(response: Response): void {
    const csp = response.headers.get('content-security-policy') ?? ''
    // JSON and JWT answers, never a page: nothing may load or run (src/http/security.ts).
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer')
    assert.equal(response.headers.get('x-frame-options'), 'DENY')
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
  }

  it('answers a grant with the security headers and a new request id', async () => {
    const response = await clientCredentials()
    assert.equal(response.status, 200)
    assert.ok(typeof ((await response.json()) as { access_token?: unknown }).access_token === 'string')
    assertSecurityHeaders(response)
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    assert.match(response.headers.get('cache-control') ?? '', /no-store/, "the provider's own headers stay")
  })

  it("keeps a portal's well-formed request id and replaces a malformed one", async () => {
    const kept = await clientCredentials({ 'x-request-id': 'portal-call-0001' })
    assert.equal(kept.headers.get('x-request-id'), 'portal-call-0001')
    const replaced = await clientCredentials({ 'x-request-id': 'bad id <script>' })
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
  })

  it('answers bad input with OAuth error JSON and the same headers', async () => {
    const response = await clientCredentials({}, 'grant_type=password&username=a&password=b')
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as { error?: string }).error, 'unsupported_grant_type')
    assertSecurityHeaders(response)
    const jwks = await fetch(`${url}/jwks?unused=1`)
    assert.equal(jwks.status, 200)
    assertSecurityHeaders(jwks)
  })

  it('logs one access line per call, with its request id and without the query string', async () => {
    await fetch(`${url}/jwks?probe=secret-looking-value`, { headers: { 'x-request-id': 'portal-jwks-0002' } })
    const deadline = Date.now() + 2000
    let line: Record<string, unknown> | undefined
    while (!(line = lines().find((l) => l.requestId === 'portal-jwks-0002')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.ok(line, 'an access line for the call')
    assert.deepEqual({ msg: line.msg, method: line.method, path: line.path, status: line.status }, { msg: 'request', method: 'GET', path: '/jwks', status: 200 })
    assert.equal(typeof line.ms, 'number')
    assert.equal(lines().filter((l) => l.requestId === 'portal-jwks-0002').length, 1)
    assert.ok(!logged.join('\n').includes('secret-looking-value'))
  })

  it('asks keep-alive callers to reconnect while the node drains', async () => {
    closed = true
    const closing = onedoor.close(5000, 500)
    try {
      const response = await clientCredentials()
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('connection'), 'close')
    } finally {
      await closing
    }
  })
})
