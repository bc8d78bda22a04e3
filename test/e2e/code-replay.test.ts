/*
 * Threat: an authorization code leaks (browser history, a proxy log) and is redeemed a second
 * time. RFC 6749 §4.1.2: the code is single-use, and on a second redemption the tokens issued
 * for it should be revoked, since the legitimate client and the attacker cannot be told apart.
 */
import assert from 'node:assert/strict'
import { authorize, introspect, postForm, userinfoStatus, useSignInServer } from '../helpers/sign-in.js'

describe('authorization code replay', () => {
  const redirectUri = 'http://127.0.0.1:9/replay-cb'
  const env = useSignInServer(redirectUri)

  it('refuses a second redemption with invalid_grant and revokes the tokens of the first', async () => {
    const { callbackUrl, start } = await authorize(env.server, env.client, env.person, { redirectUri })
    const fields = { grant_type: 'authorization_code', code: callbackUrl.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: start.codeVerifier }
    const first = await postForm(env.server, '/token', fields, env.client)
    assert.equal(first.status, 200)
    const accessToken = first.body.access_token as string
    const refreshToken = first.body.refresh_token as string
    assert.equal((await introspect(env.server, env.client, accessToken)).active, true)

    const second = await postForm(env.server, '/token', fields, env.client)
    assert.equal(second.status, 400)
    assert.equal(second.body.error, 'invalid_grant')
    assert.equal(second.body.access_token, undefined)

    assert.equal((await introspect(env.server, env.client, accessToken)).active, false, 'access token of the first redemption revoked')
    assert.equal((await introspect(env.server, env.client, refreshToken)).active, false, 'refresh token of the first redemption revoked')
    assert.equal(await userinfoStatus(env.server, accessToken), 401)
  })

  it('refuses a code presented by another client, with its verifier', async () => {
    const { callbackUrl, start } = await authorize(env.server, env.client, env.person, { redirectUri })
    const other = await env.server.addClient({ redirectUris: [redirectUri] })
    const response = await postForm(env.server, '/token', { grant_type: 'authorization_code', code: callbackUrl.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: start.codeVerifier }, other)
    assert.equal(response.status, 400)
    assert.equal(response.body.error, 'invalid_grant')
  })

  it('refuses a code redeemed with a different redirect_uri', async () => {
    const { callbackUrl, start } = await authorize(env.server, env.client, env.person, { redirectUri })
    const response = await postForm(env.server, '/token', { grant_type: 'authorization_code', code: callbackUrl.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/elsewhere', code_verifier: start.codeVerifier }, env.client)
    assert.equal(response.status, 400)
    assert.equal(response.body.error, 'invalid_grant')
  })
})
