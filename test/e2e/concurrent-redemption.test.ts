/*
 * Threat: a stolen code or refresh token raced against the legitimate client. The adapter's
 * consume is a conditional update, so of many concurrent redemptions exactly one wins, on
 * SQLite and on PostgreSQL alike (issue 2, Storage).
 */
import assert from 'node:assert/strict'
import { authorize, postForm, signIn, useClientPairServer, type RawResponse } from '../helpers/sign-in.js'

const PARALLEL = 20

describe(`${PARALLEL} concurrent redemptions`, () => {
  const redirectUri = 'http://127.0.0.1:9/race-cb'
  const env = useClientPairServer(redirectUri)

  function tally(responses: RawResponse[]) {
    const ok = responses.filter((r) => r.status === 200)
    const refused = responses.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')
    const other = responses.filter((r) => !ok.includes(r) && !refused.includes(r)).map((r) => `${r.status} ${JSON.stringify(r.body)}`)
    return { ok: ok.length, refused: refused.length, other }
  }

  it('of one authorization code: exactly one succeeds', async () => {
    const { callbackUrl, start } = await authorize(env.server, env.client, env.person, { redirectUri })
    const fields = { grant_type: 'authorization_code', code: callbackUrl.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: start.codeVerifier }
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => postForm(env.server, '/token', fields, env.client)))
    const result = tally(responses)
    assert.deepEqual(result.other, [], 'every refusal is invalid_grant, never a 5xx')
    assert.equal(result.ok, 1)
    assert.equal(result.refused, PARALLEL - 1)
  })

  it('of one rotating refresh token of a public client: exactly one succeeds', async () => {
    const { tokens } = await signIn(env.server, env.publicClient, env.person, { redirectUri })
    const fields = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => postForm(env.server, '/token', fields, env.publicClient)))
    const result = tally(responses)
    assert.deepEqual(result.other, [], 'every refusal is invalid_grant, never a 5xx')
    assert.equal(result.ok, 1)
    assert.equal(result.refused, PARALLEL - 1)
  })
})
