import assert from 'node:assert/strict'
import { discover, oidc } from '../helpers/relying-party.js'
import { introspect, postForm, signIn, useClientPairServer, userinfoStatus } from '../helpers/sign-in.js'

describe('introspection, revocation and client credentials', () => {
  const redirectUri = 'http://127.0.0.1:9/tokens-cb'
  const env = useClientPairServer(redirectUri)

  describe('introspection', () => {
    it('reports an access token and a refresh token as active, with their subject and client', async () => {
      const { config, tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
      const access = await oidc.tokenIntrospection(config, tokens.access_token)
      assert.equal(access.active, true)
      assert.equal(access.sub, env.person.id)
      assert.equal(access.client_id, env.client.clientId)
      assert.equal(access.token_type, 'Bearer')
      const refresh = await introspect(env.server, env.client, tokens.refresh_token!)
      assert.equal(refresh.active, true)
      assert.equal(refresh.client_id, env.client.clientId)
    })

    it('reports an unknown token as inactive', async () => {
      const result = await introspect(env.server, env.client, 'not-a-token-that-exists')
      assert.deepEqual(result, { active: false })
    })

    it('requires client authentication', async () => {
      const response = await postForm(env.server, '/token/introspection', { token: 'whatever' })
      assert.equal(response.status, 400)
      assert.equal(response.body.error, 'invalid_request')
      const wrongSecret = await postForm(env.server, '/token/introspection', { token: 'whatever' }, { clientId: env.client.clientId, clientSecret: 'wrong' })
      assert.equal(wrongSecret.status, 401)
      assert.equal(wrongSecret.body.error, 'invalid_client')
    })
  })

  describe('token values', () => {
    // Ids that begin with the issue time land on the last pages of oidc_payloads' primary key
    // (src/oidc/time-ordered-token-ids.ts); the random part stays as long as oidc-provider makes it.
    it('begin with the issue time and keep 256 bits of randomness after it', async () => {
      const before = Date.now()
      const { tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
      const after = Date.now()
      for (const value of [tokens.access_token, tokens.refresh_token!]) {
        assert.match(value, /^[0-9a-z]{9}[\w-]{43}$/)
        const issuedAt = parseInt(value.slice(0, 9), 36)
        assert.ok(issuedAt >= before && issuedAt <= after, `${issuedAt} not within [${before}, ${after}]`)
      }
      const later = await signIn(env.server, env.client, env.person, { redirectUri })
      assert.ok(later.tokens.access_token.slice(0, 9) >= tokens.access_token.slice(0, 9))
      assert.equal((await introspect(env.server, env.client, tokens.access_token)).active, true)
    })
  })

  describe('revocation', () => {
    it('revokes an access token: userinfo refuses it and introspection calls it inactive', async () => {
      const { config, tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
      assert.equal(await userinfoStatus(env.server, tokens.access_token), 200)
      await oidc.tokenRevocation(config, tokens.access_token)
      assert.equal(await userinfoStatus(env.server, tokens.access_token), 401)
      assert.equal((await introspect(env.server, env.client, tokens.access_token)).active, false)
    })

    it('revokes a refresh token together with its grant', async () => {
      const { config, tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
      await oidc.tokenRevocation(config, tokens.refresh_token!)
      assert.equal((await introspect(env.server, env.client, tokens.refresh_token!)).active, false)
      const refresh = await postForm(env.server, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, env.client)
      assert.equal(refresh.body.error, 'invalid_grant')
      assert.equal(await userinfoStatus(env.server, tokens.access_token), 401)
    })

    it('lets a public client revoke its own refresh token', async () => {
      const { tokens } = await signIn(env.server, env.publicClient, env.person, { redirectUri })
      const response = await postForm(env.server, '/token/revocation', { token: tokens.refresh_token!, token_type_hint: 'refresh_token' }, env.publicClient)
      assert.equal(response.status, 200)
      assert.equal((await introspect(env.server, env.client, tokens.refresh_token!)).active, false)
    })

    it("refuses to revoke another client's token (RFC 7009 §2.1)", async () => {
      const { tokens } = await signIn(env.server, env.client, env.person, { redirectUri })
      const other = await env.server.addClient({ redirectUris: [redirectUri] })
      const response = await postForm(env.server, '/token/revocation', { token: tokens.access_token }, other)
      assert.equal(response.status, 400)
      assert.equal(response.body.error, 'invalid_request')
      assert.equal(await userinfoStatus(env.server, tokens.access_token), 200)
    })

    it('answers 200 for an unknown token (RFC 7009 §2.2)', async () => {
      const response = await postForm(env.server, '/token/revocation', { token: 'no-such-token' }, env.client)
      assert.equal(response.status, 200)
    })
  })

  describe('client credentials', () => {
    it('issues an access token to a confidential portal back-end', async () => {
      const config = await discover(env.server.url, env.client.clientId, env.client.clientSecret)
      const tokens = await oidc.clientCredentialsGrant(config)
      assert.ok(tokens.access_token)
      assert.equal(tokens.token_type.toLowerCase(), 'bearer')
      assert.equal(tokens.refresh_token, undefined)
      const introspection = await introspect(env.server, env.client, tokens.access_token)
      assert.equal(introspection.active, true)
      assert.equal(introspection.client_id, env.client.clientId)
      assert.equal(introspection.sub, undefined, 'no person behind a client credentials token')
    })

    it('refuses a public client', async () => {
      const response = await postForm(env.server, '/token', { grant_type: 'client_credentials' }, env.publicClient)
      assert.equal(response.status, 400)
      assert.equal(response.body.error, 'invalid_request') // oidc-provider: "requested grant type is not allowed for this client"
      assert.equal(response.body.access_token, undefined)
    })

    it('refuses a wrong secret', async () => {
      const response = await postForm(env.server, '/token', { grant_type: 'client_credentials' }, { clientId: env.client.clientId, clientSecret: 'not-the-secret' })
      assert.equal(response.status, 401)
      assert.equal(response.body.error, 'invalid_client')
    })
  })
})
