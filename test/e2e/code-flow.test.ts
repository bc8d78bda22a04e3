import assert from 'node:assert/strict'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('authorization code flow with openid-client as the relying party', () => {
  let server: TestServer
  let person: Awaited<ReturnType<TestServer['addPerson']>>
  let client: { clientId: string; clientSecret?: string }
  const redirectUri = 'http://127.0.0.1:9/callback'

  before(async () => {
    server = await startOneDoor()
    person = await server.addPerson({ name: '李四' })
    client = await server.addClient({ name: '道里区政务服务', redirectUris: [redirectUri] })
  })
  after(async () => server?.close())

  it('signs in through the login and consent pages and returns verifiable tokens', async () => {
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid profile phone' })
    const agent = new UserAgent()
    const { callbackUrl } = await signInThroughPages(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.equal(callbackUrl.searchParams.get('iss'), server.url, 'RFC 9207 iss in the authorization response')
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    const claims = tokens.claims()!
    assert.equal(claims.iss, server.url)
    assert.equal(claims.aud, client.clientId)
    assert.equal(claims.sub, person.id)
    assert.ok(!JSON.stringify(claims).includes(person.idNumber), 'the ID number is never in the ID token')
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`))
    const verified = await jwtVerify(tokens.id_token!, jwks, { issuer: server.url, audience: client.clientId })
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256')
    assert.equal(verified.payload.sub, person.id)
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, person.id)
    assert.equal(userinfo.name, '李四')
    assert.equal(userinfo.phone_number, `+86${person.phone}`)
    assert.ok(tokens.refresh_token, 'a refresh token is issued')
  })
})
