/*
 * Service systems as relying parties: suspended systems cannot sign anyone in, each system
 * receives only the claims it was approved for, and government portals skip the consent
 * screen while the grant is still recorded.
 */
import assert from 'node:assert/strict'
import { parseManifest, syncFederation } from '../../src/federation/index.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { signIn, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

const redirectUri = 'http://127.0.0.1:9/callback'

describe('service systems as relying parties', () => {
  let server: TestServer
  let person: TestPerson

  before(async () => {
    server = await startOneDoor()
    person = await server.addPerson({ name: '王五' })
  })
  after(async () => server?.close())

  describe('status', () => {
    const manifestWith = (...ids: string[]) =>
      parseManifest({
        version: 1,
        systems: ids.map((clientId) => ({
          clientId,
          name: `${clientId} 系统`,
          divisionCode: '230102',
          portalUrl: 'http://127.0.0.1:9/',
          redirectUris: [redirectUri],
          allowedScopes: ['openid', 'profile'],
          consentPolicy: 'implicit',
        })),
      })

    it('refuses to sign in to a system suspended by the manifest sync', async () => {
      const created = await syncFederation(server.onedoor.services.federation, manifestWith('hlj-status-a', 'hlj-status-b'))
      const secret = created.secrets.find((s) => s.clientId === 'hlj-status-a')!.clientSecret
      const client = { clientId: 'hlj-status-a', clientSecret: secret }
      const { tokens } = await signIn(server, client, person, { redirectUri })
      assert.ok(tokens.id_token, 'an active system signs people in')

      const config = await discover(server.url, client.clientId, client.clientSecret)
      const result = await syncFederation(server.onedoor.services.federation, manifestWith('hlj-status-b'))
      assert.deepEqual(result.suspended.map((s) => s.clientId), ['hlj-status-a'])

      const start = await startAuthorization(config, { redirect_uri: redirectUri })
      const page = await new UserAgent().get(start.url.toString())
      assert.equal(page.status, 400)
      assert.match(page.body, /invalid_client/)
      // Its tokens can no longer be refreshed either.
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (err: { error?: string; cause?: { parameters?: { error?: string } }[] }) => {
        assert.equal(err.error ?? err.cause?.[0]?.parameters?.error, 'invalid_client')
        return true
      })
    })
  })

  describe('claims allow-list', () => {
    /* Threat: a service system collects personal data (the phone number) it was never approved for. */
    it('never gives phone_number to a system not approved for the phone scope, even when it asks', async () => {
      const client = await server.addClient({ name: '未批准手机号的系统', redirectUris: [redirectUri], allowedScopes: ['openid', 'profile'], pairwise: true, consentPolicy: 'implicit' })
      const config = await discover(server.url, client.clientId, client.clientSecret)
      const agent = new UserAgent()
      // Signed in once with the approved scopes, then asks for phone too.
      const { tokens } = await signIn(server, client, person, { redirectUri, scope: 'openid profile', agent })
      assert.equal(tokens.claims()!.phone_number, undefined)
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)
      assert.equal(userinfo.name, '王五')
      assert.equal(userinfo.phone_number, undefined)

      const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid profile phone' })
      const page = await agent.get(start.url.toString(), (url) => url.toString().startsWith(redirectUri))
      const callback = new URL(page.url)
      assert.equal(callback.searchParams.get('error'), 'invalid_scope')
      assert.equal(callback.searchParams.get('code'), null, 'no code, so no token carrying phone_number')
      await assert.rejects(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state }), (err: { error?: string }) => err.error === 'invalid_scope')
    })

    it('gives phone_number to a system approved for it', async () => {
      const client = await server.addClient({ name: '已批准手机号的系统', redirectUris: [redirectUri], allowedScopes: ['openid', 'profile', 'phone'], pairwise: true, consentPolicy: 'implicit' })
      const { tokens, config } = await signIn(server, client, person, { redirectUri, scope: 'openid profile phone' })
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)
      assert.equal(userinfo.phone_number, `+86${person.phone}`)
    })

    it('stops giving a claim as soon as the approval is withdrawn, even on an older grant', async () => {
      const client = await server.addClient({ name: '撤销批准的系统', redirectUris: [redirectUri], allowedScopes: ['openid', 'profile', 'phone'], pairwise: true, consentPolicy: 'implicit' })
      const { tokens, config } = await signIn(server, client, person, { redirectUri, scope: 'openid profile phone' })
      const clients = server.onedoor.services.clients
      const record = await clients.findRecord(client.clientId)
      await clients.update(client.clientId, { metadata: { ...record!.metadata, scope: 'openid profile' } })
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)
      assert.equal(userinfo.name, '王五')
      assert.equal(userinfo.phone_number, undefined)
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
      assert.equal(refreshed.claims()?.phone_number, undefined)
    })
  })

  describe('consent policy', () => {
    it('skips the consent screen for an implicit-consent portal but records the grant', async () => {
      const client = await server.addClient({ name: '政务门户', redirectUris: [redirectUri], allowedScopes: ['openid', 'profile'], pairwise: true, consentPolicy: 'implicit' })
      const config = await discover(server.url, client.clientId, client.clientSecret)
      const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid profile' })
      const agent = new UserAgent()
      const login = await agent.get(start.url.toString())
      assert.match(login.body, /\/login"/)
      const after = await agent.submit(login, '/login', { identifier: person.idNumber, password: person.password }, (url) => url.toString().startsWith(redirectUri))
      assert.equal(after.status, 0, 'straight back to the portal: no consent page')
      assert.ok(new URL(after.url).searchParams.get('code'))
      const grants = (await server.onedoor.db('oidc_payloads').where({ type: 'Grant' })).map((row) => JSON.parse(row.payload))
      const grant = grants.find((g) => g.clientId === client.clientId && g.accountId === person.id)
      assert.ok(grant, 'the grant is stored (listed and revocable in the account centre)')
      assert.match(grant.openid.scope, /profile/)
    })

    it('still shows the consent screen for an explicit-consent system', async () => {
      const client = await server.addClient({ name: '需同意的系统', redirectUris: [redirectUri], allowedScopes: ['openid', 'profile'], pairwise: true, consentPolicy: 'explicit' })
      const config = await discover(server.url, client.clientId, client.clientSecret)
      const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid profile' })
      const agent = new UserAgent()
      const login = await agent.get(start.url.toString())
      const next = await agent.submit(login, '/login', { identifier: person.idNumber, password: person.password }, (url) => url.toString().startsWith(redirectUri))
      assert.equal(next.status, 200)
      assert.match(next.body, /\/confirm"/)
    })
  })
})
