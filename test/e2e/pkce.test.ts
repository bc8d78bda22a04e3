/*
 * Threat: an authorization code intercepted on its way back to the portal (logs, referrers,
 * a malicious app on the device) is redeemed by the attacker. PKCE S256 binds the code to the
 * client instance that asked for it, so it is required of every client, confidential included.
 */
import assert from 'node:assert/strict'
import { oidc } from '../helpers/relying-party.js'
import { authorize, postForm, useClientPairServer, type TestClient } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('PKCE is required for every client', () => {
  const redirectUri = 'http://127.0.0.1:9/pkce-cb'
  const env = useClientPairServer(redirectUri)

  /** Sends an authorization request and returns the error delivered to the redirect_uri. */
  async function authorizationError(client: TestClient, extra: Record<string, string>): Promise<URLSearchParams> {
    const params = new URLSearchParams({ client_id: client.clientId, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 's1', ...extra })
    const page = await new UserAgent().get(`${env.server.url}/auth?${params}`, (url) => url.toString().startsWith(redirectUri))
    assert.equal(page.status, 0, `expected a redirect to the client, got ${page.status}: ${page.body.slice(0, 200)}`)
    return new URL(page.url).searchParams
  }

  for (const kind of ['confidential', 'public'] as const) {
    it(`refuses an authorization request without code_challenge from a ${kind} client`, async () => {
      const result = await authorizationError(kind === 'public' ? env.publicClient : env.client, {})
      assert.equal(result.get('error'), 'invalid_request')
      assert.equal(result.get('state'), 's1')
      assert.equal(result.get('iss'), env.server.url)
      assert.equal(result.get('code'), null)
    })

    it(`refuses the plain code_challenge_method from a ${kind} client`, async () => {
      const verifier = oidc.randomPKCECodeVerifier()
      const result = await authorizationError(kind === 'public' ? env.publicClient : env.client, { code_challenge: verifier, code_challenge_method: 'plain' })
      assert.equal(result.get('error'), 'invalid_request')
      assert.equal(result.get('code'), null)
    })
  }

  it('refuses to redeem a code without the code_verifier', async () => {
    const { callbackUrl } = await authorize(env.server, env.client, env.person, { redirectUri })
    const code = callbackUrl.searchParams.get('code')!
    const missing = await postForm(env.server, '/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri }, env.client)
    assert.equal(missing.status, 400)
    assert.equal(missing.body.error, 'invalid_grant')
  })

  it('refuses a wrong code_verifier', async () => {
    const { callbackUrl } = await authorize(env.server, env.publicClient, env.person, { redirectUri })
    const code = callbackUrl.searchParams.get('code')!
    const wrong = await postForm(env.server, '/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: oidc.randomPKCECodeVerifier() }, env.publicClient)
    assert.equal(wrong.status, 400)
    assert.equal(wrong.body.error, 'invalid_grant')
  })
})
