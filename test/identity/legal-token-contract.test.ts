/*
 * Token contract of issue 3 (natural persons' side), checked through openid-client: person_type
 * always; id_number only for a client approved for it (its approved scopes list id_number) and
 * after the person consented on the consent page; never in the ID token by default.
 */
import assert from 'node:assert/strict'
import { walkSignIn } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('token contract: person_type and id_number', () => {
  let server: TestServer
  const redirectUri = 'http://127.0.0.1:9/cb'

  before(async () => {
    server = await startOneDoor()
  })
  // Closing (and dropping a PostgreSQL schema) can be slow on a shared, loaded machine.
  after(async function () {
    this.timeout(120_000)
    await server?.close()
  })

  async function signIn(config: oidc.Configuration, person: { idNumber: string; password: string }, scope: string) {
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope })
    const walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.ok(walked.callbackUrl, 'reached the relying party')
    const tokens = await oidc.authorizationCodeGrant(config, walked.callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    return { tokens, pages: walked.pages, userinfo: await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub) }
  }

  it('gives the full ID number to an approved client after consent, and person_type natural', async () => {
    const person = await server.addPerson({ name: '周实名' })
    const client = await server.addClient({ name: '公安户政', redirectUris: [redirectUri], extraMetadata: { scope: 'openid profile phone id_number' } })
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const { tokens, pages, userinfo } = await signIn(config, person, 'openid profile id_number')
    assert.ok(pages.some((p) => p.body.includes('/confirm"') && p.body.includes('完整身份证号码')), 'the consent page asked for it')
    assert.equal(userinfo.id_number, person.idNumber)
    assert.equal(userinfo.person_type, 'natural')
    assert.equal(userinfo.name, '周实名')
    assert.equal(tokens.claims()!.person_type, 'natural')
    assert.equal(tokens.claims()!.id_number, undefined, 'not in the ID token')
  })

  it('never gives the ID number to a client not approved for it, even when asked', async () => {
    const person = await server.addPerson()
    const client = await server.addClient({ name: '文旅', redirectUris: [redirectUri] })
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const { userinfo } = await signIn(config, person, 'openid profile id_number')
    assert.equal(userinfo.id_number, undefined)
    assert.equal(userinfo.person_type, 'natural')
    assert.ok(!JSON.stringify(userinfo).includes(person.idNumber))
  })
})
