import assert from 'node:assert/strict'
import { oidc } from '../helpers/relying-party.js'
import { introspect, postForm, signIn, useClientPairServer, userinfoStatus } from '../helpers/sign-in.js'

describe('refresh tokens', () => {
  const redirectUri = 'http://127.0.0.1:9/refresh-cb'
  const env = useClientPairServer(redirectUri)

  it('gives a confidential client new tokens for its refresh token', async () => {
    const { config, tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
    assert.ok(tokens.refresh_token)
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token)
    assert.ok(refreshed.access_token)
    assert.notEqual(refreshed.access_token, tokens.access_token)
    assert.equal(refreshed.claims()?.sub, env.person.id, 'a fresh ID token for the same person')
    assert.equal(await userinfoStatus(env.server, refreshed.access_token), 200)
    // Not rotated for a confidential client early in its life: the same token keeps working.
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token ?? tokens.refresh_token)
    assert.ok(again.access_token)
  })

  it('rotates the refresh token of a public client on every use', async () => {
    const { config, tokens } = await signIn(env.server, env.publicClient, env.person, { redirectUri })
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
    const { config, tokens } = await signIn(env.server, env.publicClient, env.person, { redirectUri })
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
    assert.equal(await userinfoStatus(env.server, rotated.access_token), 200)

    const replay = await postForm(env.server, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, env.publicClient)
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')

    const withNew = await postForm(env.server, '/token', { grant_type: 'refresh_token', refresh_token: rotated.refresh_token! }, env.publicClient)
    assert.equal(withNew.status, 400, 'the refresh token issued by the rotation is revoked too')
    assert.equal(withNew.body.error, 'invalid_grant')
    assert.equal(await userinfoStatus(env.server, rotated.access_token), 401, 'access tokens of the grant stop working')
    assert.equal(await userinfoStatus(env.server, tokens.access_token), 401)
    assert.equal((await introspect(env.server, env.client, rotated.access_token)).active, false)
  })

  it('refuses a refresh token presented by another client', async () => {
    const { tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
    const other = await env.server.addClient({ redirectUris: [redirectUri] })
    const stolen = await postForm(env.server, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, other)
    assert.equal(stolen.status, 400)
    assert.equal(stolen.body.error, 'invalid_grant')
  })
})
