import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { signIn, type TestClient, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('prompt=none (silent authentication)', () => {
  let server: TestServer
  let client: TestClient
  let person: TestPerson
  const redirectUri = 'http://127.0.0.1:9/silent-cb'
  const atRp = (url: URL) => url.toString().startsWith(redirectUri)

  before(async () => {
    server = await startOneDoor()
    client = await server.addClient({ redirectUris: [redirectUri] })
    person = await server.addPerson()
  })
  after(async () => server?.close())

  it('returns a code straight away, without any page, when the browser has a session', async () => {
    const first = await signIn(server, client, person, { redirectUri })
    const start = await startAuthorization(first.config, { redirect_uri: redirectUri, scope: 'openid profile', prompt: 'none' })
    const landed = await first.agent.get(start.url.toString(), atRp)
    assert.equal(landed.status, 0, `expected a redirect to the portal, got a ${landed.status} page`)
    const callbackUrl = new URL(landed.url)
    assert.equal(callbackUrl.searchParams.get('error'), null)
    assert.ok(callbackUrl.searchParams.get('code'))
    const tokens = await oidc.authorizationCodeGrant(first.config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    assert.equal(tokens.claims()?.sub, person.id)
    assert.equal(tokens.claims()?.sid, first.tokens.claims()?.sid, 'the same OneDoor session')
  })

  it('answers login_required at the redirect_uri when there is no session', async () => {
    const { config } = await signIn(server, client, person, { redirectUri })
    const start = await startAuthorization(config, { redirect_uri: redirectUri, prompt: 'none' })
    const landed = await new UserAgent().get(start.url.toString(), atRp)
    assert.equal(landed.status, 0)
    const params = new URL(landed.url).searchParams
    assert.equal(params.get('error'), 'login_required')
    assert.equal(params.get('state'), start.state)
    assert.equal(params.get('iss'), server.url)
    assert.equal(params.get('code'), null)
  })

  it('answers consent_required when the session exists but the portal was never approved', async () => {
    const first = await signIn(server, client, person, { redirectUri })
    const other = await server.addClient({ redirectUris: [redirectUri] })
    const config = await discover(server.url, other.clientId, other.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, prompt: 'none' })
    const landed = await first.agent.get(start.url.toString(), atRp)
    assert.equal(landed.status, 0)
    assert.equal(new URL(landed.url).searchParams.get('error'), 'consent_required')
  })
})
