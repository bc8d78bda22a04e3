import assert from 'node:assert/strict'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { signIn } from '../helpers/sign-in.js'
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

  it('signs the ID token with ES256 for a client registered with id_token_signed_response_alg ES256', async () => {
    const es256 = await server.addClient({ redirectUris: [redirectUri], extraMetadata: { id_token_signed_response_alg: 'ES256' } })
    const { tokens } = await signIn(server, es256, person, { redirectUri })
    const header = decodeProtectedHeader(tokens.id_token!)
    assert.equal(header.alg, 'ES256')
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`))
    const verified = await jwtVerify(tokens.id_token!, jwks, { issuer: server.url, audience: es256.clientId, algorithms: ['ES256'] })
    assert.equal(verified.payload.sub, person.id)
  })

  it('answers userinfo only with the claims of the granted scopes', async () => {
    const { tokens, config } = await signIn(server, client, person, { redirectUri, scope: 'openid' })
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, person.id)
    assert.equal(userinfo.sub, person.id)
    assert.equal(userinfo.name, undefined)
    assert.equal(userinfo.phone_number, undefined)
  })

  it('renders the pages in Simplified Chinese by default', async () => {
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri })
    const page = await new UserAgent().get(start.url.toString())
    assert.equal(page.status, 200)
    assert.match(page.body, /<html lang="zh-CN">/)
    assert.match(page.body, /身份证号码或手机号码/)
    assert.match(page.body, /<label for="identifier">/)
    assert.match(page.body, /<label for="password">/)
  })

  it('renders the login and consent pages in English for ui_locales=en', async () => {
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, ui_locales: 'en', scope: 'openid profile' })
    // Someone who never allowed this portal, so the consent page is shown (consent is remembered).
    const newcomer = await server.addPerson()
    const { pages } = await signInThroughPages(new UserAgent(), start.url, redirectUri, { identifier: newcomer.phone, password: newcomer.password })
    const login = pages.find((p) => p.body.includes('/login"'))!
    assert.match(login.body, /<html lang="en">/)
    assert.match(login.body, /Resident ID number or mobile number/)
    const consent = pages.find((p) => p.body.includes('/confirm"'))!
    assert.match(consent.body, /<html lang="en">/)
    assert.match(consent.body, /Share your information/)
  })

  it('honours Accept-Language when no ui_locales is given', async () => {
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri })
    const page = await new UserAgent({ 'accept-language': 'en-US,en;q=0.9' }).get(start.url.toString())
    assert.match(page.body, /<html lang="en">/)
  })
})
