import assert from 'node:assert/strict'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { loadConfig, type Config } from '../../src/config/index.js'
import { buildConfiguration } from '../../src/oidc/configuration.js'
import { TEST_SECRETS } from '../helpers/onedoor.js'

const deps = {
  adapter: class {} as never,
  findAccount: async () => undefined,
  jwks: [],
  fetch: globalThis.fetch,
  pages: { renderError: async () => {}, logoutSource: async () => {}, postLogoutSuccessSource: async () => {} },
}

function configFor(issuer: string): Config {
  return loadConfig({ env: { NODE_ENV: 'test', ...TEST_SECRETS, ISSUER: issuer } })
}

/** A stand-in for the context oidc-provider passes to rotateRefreshToken. */
function refreshContext(clientAuthMethod: string, ttlPercentagePassed: number): KoaContextWithOIDC {
  return { oidc: { entities: { RefreshToken: { ttlPercentagePassed: () => ttlPercentagePassed }, Client: { clientAuthMethod } } } } as unknown as KoaContextWithOIDC
}

describe('oidc-provider configuration built from ours', () => {
  const configuration = buildConfiguration(configFor('http://127.0.0.1:3000'), deps)

  it('offers the code flow only, with PKCE required whatever the client', () => {
    assert.deepEqual(configuration.responseTypes, ['code'])
    const required = configuration.pkce!.required! as (ctx: unknown, client: unknown) => boolean
    assert.equal(required({}, { clientAuthMethod: 'client_secret_basic' }), true)
    assert.equal(required({}, { clientAuthMethod: 'none' }), true)
  })

  it('turns on the features the issue promises and leaves development interactions off', () => {
    const features = configuration.features!
    assert.equal(features.devInteractions?.enabled, false)
    for (const name of ['introspection', 'revocation', 'clientCredentials', 'userinfo', 'pushedAuthorizationRequests', 'backchannelLogout', 'rpInitiatedLogout'] as const) {
      assert.equal(features[name]?.enabled, true, name)
    }
  })

  it('signs ID tokens with RS256 or ES256', () => {
    const algs = configuration.enabledJWA!.idTokenSigningAlgValues!
    assert.ok(algs.includes('RS256') && algs.includes('ES256'))
  })

  it('makes cookies signed, HttpOnly and SameSite=Lax, and Secure only behind an https issuer', () => {
    for (const kind of ['long', 'short'] as const) {
      const options = configuration.cookies![kind]!
      assert.equal(options.httpOnly, true)
      assert.equal(options.sameSite, 'lax')
      assert.equal(options.signed, true)
      assert.equal(options.secure, false)
    }
    const https = buildConfiguration(configFor('https://id.example.gov.cn'), deps)
    assert.equal(https.cookies!.long!.secure, true)
    assert.equal(https.cookies!.short!.secure, true)
  })

  it('rotates the refresh token of a public client on every use, a confidential one late in its life', async () => {
    const rotate = configuration.rotateRefreshToken as (ctx: KoaContextWithOIDC) => boolean
    assert.equal(rotate(refreshContext('none', 0)), true)
    assert.equal(rotate(refreshContext('client_secret_basic', 10)), false)
    assert.equal(rotate(refreshContext('client_secret_basic', 80)), true)
  })

  it('takes token lifetimes from our configuration', () => {
    const ours = configFor('http://127.0.0.1:3000')
    assert.equal(configuration.ttl!.AccessToken, ours.tokens.accessTokenSeconds)
    assert.equal(configuration.ttl!.AuthorizationCode, ours.tokens.authorizationCodeSeconds)
    assert.equal(configuration.ttl!.RefreshToken, ours.tokens.refreshTokenSeconds)
  })
})
