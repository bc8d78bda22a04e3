import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover } from '../helpers/relying-party.js'

describe('discovery metadata', () => {
  let server: TestServer
  let metadata: Record<string, unknown>

  before(async () => {
    server = await startOneDoor()
    const response = await fetch(`${server.url}/.well-known/openid-configuration`)
    assert.equal(response.status, 200)
    metadata = (await response.json()) as Record<string, unknown>
  })
  after(async () => server?.close())

  it('names the issuer and is accepted by openid-client', async () => {
    assert.equal(metadata.issuer, server.url)
    const { clientId, clientSecret } = await server.addClient({ redirectUris: ['http://127.0.0.1:9/cb'] })
    const config = await discover(server.url, clientId, clientSecret)
    assert.equal(config.serverMetadata().issuer, server.url)
  })

  it('offers RS256 (OIDC Core §15.1) and ES256 for ID tokens', () => {
    const algs = metadata.id_token_signing_alg_values_supported as string[]
    assert.ok(algs.includes('RS256'))
    assert.ok(algs.includes('ES256'))
  })

  it('offers the code flow only, with PKCE S256 only', () => {
    assert.deepEqual(metadata.response_types_supported, ['code'])
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'])
  })

  it('offers no implicit and no password grant', () => {
    const grants = metadata.grant_types_supported as string[]
    assert.ok(grants.includes('authorization_code'))
    assert.ok(grants.includes('refresh_token'))
    assert.ok(grants.includes('client_credentials'))
    assert.ok(!grants.includes('implicit'))
    assert.ok(!grants.includes('password'))
  })

  it('supports the RFC 9207 iss parameter, PAR and back-channel logout', () => {
    assert.equal(metadata.authorization_response_iss_parameter_supported, true)
    assert.equal(metadata.pushed_authorization_request_endpoint, `${server.url}/request`)
    assert.equal(metadata.backchannel_logout_supported, true)
    assert.equal(metadata.backchannel_logout_session_supported, true)
  })

  it('publishes every endpoint a portal needs', () => {
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      assert.equal(typeof metadata[key], 'string', key)
      assert.ok((metadata[key] as string).startsWith(server.url), key)
    }
  })

  it('publishes signing keys of both algorithms without private parts', async () => {
    const response = await fetch(`${server.url}/jwks`)
    assert.equal(response.status, 200)
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] }
    const algs = new Set(keys.map((k) => k.alg))
    assert.ok(algs.has('RS256') && algs.has('ES256'))
    for (const key of keys) {
      for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[privatePart], undefined, `${String(key.kid)} exposes ${privatePart}`)
    }
  })
})
