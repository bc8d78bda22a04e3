import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { introspect, postForm, signIn, userinfoStatus, type TestClient, type TestPerson } from '../helpers/sign-in.js'

describe('refresh tokens', () => {
  let server: TestServer
  let confidential: TestClient
  let publicClient: TestClient
  let person: TestPerson
  const redirectUri = 'http://127.0.0.1:9/refresh-cb'

  before(async () => {
    server = await startOneDoor()
    confidential = await server.addClient({ redirectUris: [redirectUri] })
    publicClient = await server.addClient({ redirectUris: [redirectUri], public: true })
    person = await server.addPerson()
  })
  after(async () => server?.close())

  it('gives a confidential client new tokens for its refresh token', async () => {
    const { config, tokens } = await signIn(server, confidential, person, { redirectUri })
    assert.ok(tokens.refresh_token)
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token)
    assert.ok(refreshed.access_token)
    assert.notEqual(refreshed.access_token, tokens.access_token)
    assert.equal(refreshed.claims()?.sub, person.id, 'a fresh ID token for the same person')
    assert.equal(await userinfoStatus(server, refreshed.access_token), 200)
    // Not rotated for a confidential client early in its life: the same token keeps working.
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token ?? tokens.refresh_token)
    assert.ok(again.access_token)
  })

  it('rotates the refresh token of a public client on every use', async () => {
    const { config, tokens } = await signIn(server, publicClient, person, { redirectUri })
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
    assert.ok(refreshed.refresh_token)
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token)
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token)
    assert.ok(again.refresh_token)
  })

  /*
   * Threat: a public client's refresh token is stolen and used. Whichever of the attacker and
   * the portal presents the rotated token second shows that a copy exists; OneDoor then
   * revokes the whole grant, so neither holder keeps access (OAuth 2.0 Security BCP §4.14.2).
   */
  it('revokes the grant when a rotated refresh token is used again', async () => {
    const { config, tokens } = await signIn(server, publicClient, person, { redirectUri })
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
    assert.equal(await userinfoStatus(server, rotated.access_token), 200)

    const replay = await postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, publicClient)
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')

    const withNew = await postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: rotated.refresh_token! }, publicClient)
    assert.equal(withNew.status, 400, 'the refresh token issued by the rotation is revoked too')
    assert.equal(withNew.body.error, 'invalid_grant')
    assert.equal(await userinfoStatus(server, rotated.access_token), 401, 'access tokens of the grant stop working')
    assert.equal(await userinfoStatus(server, tokens.access_token), 401)
    assert.equal((await introspect(server, confidential, rotated.access_token)).active, false)
  })

  it('refuses a refresh token presented by another client', async () => {
    const { tokens } = await signIn(server, confidential, person, { redirectUri })
    const other = await server.addClient({ redirectUris: [redirectUri] })
    const stolen = await postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, other)
    assert.equal(stolen.status, 400)
    assert.equal(stolen.body.error, 'invalid_grant')
  })
})
