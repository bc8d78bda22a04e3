import assert from 'node:assert/strict'
import { discover, oidc, signInThroughPages } from '../helpers/relying-party.js'
import { postForm, useSignInServer } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('pushed authorization requests (RFC 9126)', () => {
  const redirectUri = 'http://127.0.0.1:9/par-cb'
  const env = useSignInServer(redirectUri)

  it('signs in with only client_id and request_uri in the browser', async () => {
    const config = await discover(env.server.url, env.client.clientId, env.client.clientSecret)
    const codeVerifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    })
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri'])
    assert.match(url.searchParams.get('request_uri')!, /^urn:ietf:params:oauth:request_uri:/)
    const { callbackUrl } = await signInThroughPages(new UserAgent(), url, redirectUri, { identifier: env.person.idNumber, password: env.person.password })
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state })
    assert.equal(tokens.claims()?.sub, env.person.id)
  })

  it('refuses a pushed request without PKCE', async () => {
    const response = await postForm(env.server, '/request', { response_type: 'code', scope: 'openid', redirect_uri: redirectUri }, env.client)
    assert.equal(response.status, 400)
    assert.equal(response.body.error, 'invalid_request')
  })

  it('answers an unknown request_uri with an error at the registered redirect_uri', async () => {
    const page = await new UserAgent().get(`${env.server.url}/auth?client_id=${env.client.clientId}&request_uri=urn:ietf:params:oauth:request_uri:nonexistent`, (url) => url.toString().startsWith(redirectUri))
    assert.equal(page.status, 0)
    const params = new URL(page.url).searchParams
    assert.equal(params.get('error'), 'invalid_request_uri')
    assert.equal(params.get('code'), null)
  })

  it('refuses a request_uri that already led to a code', async () => {
    const config = await discover(env.server.url, env.client.clientId, env.client.clientSecret)
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })
    const agent = new UserAgent()
    const { callbackUrl } = await signInThroughPages(agent, url, redirectUri, { identifier: env.person.phone, password: env.person.password })
    assert.ok(callbackUrl.searchParams.get('code'))
    const again = await agent.get(url.toString(), (u) => u.toString().startsWith(redirectUri))
    assert.equal(again.status, 0)
    assert.equal(new URL(again.url).searchParams.get('error'), 'invalid_request_uri')
  })
})
