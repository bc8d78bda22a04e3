import assert from 'node:assert/strict'
import { integrationGuide, onboardSystem } from '../../src/federation/index.js'
import { CLAIMS } from '../../src/oidc/index.js'
import { startOneDoor, TEST_SECRETS, type TestServer } from '../helpers/onedoor.js'
import { signIn } from '../helpers/sign-in.js'
import { runCli } from './run-cli.js'

describe('onboarding one service system', function () {
  // Each command is a fresh Node process with tsx: slow on a loaded machine.
  this.timeout(180_000)
  let server: TestServer
  before(async () => {
    server = await startOneDoor()
  })
  after(async () => server?.close())

  const cli = (...args: string[]) => runCli(['federation', 'onboard', ...args], { ...TEST_SECRETS, ...server.database.env, ISSUER: server.url })

  it('registers the system, prints its credentials and a guide, and the credentials work', async () => {
    const redirectUri = 'http://127.0.0.1:9/redirect_uri'
    const result = await cli('--division', '230102', '--redirect-uri', redirectUri, '--backchannel-logout-uri', `${redirectUri}?logout=backchannel`, '--scope', 'openid profile phone', '--consent', 'implicit', '--json')
    assert.equal(result.status, 0, result.stderr)
    const out = JSON.parse(result.stdout)
    assert.match(out.client_id, /^hlj-230102-[a-z0-9]{6}$/)
    assert.equal(typeof out.client_secret, 'string')
    assert.equal(out.discovery, `${server.url}/.well-known/openid-configuration`)
    assert.equal(out.subject_type, 'pairwise')
    assert.equal(out.scope, 'openid profile phone')
    for (const expected of ['OIDCProviderMetadataURL', 'openid-client', 'spring:', 'Authlib', 'phone_number', 'logout+jwt', 'OIDCPKCEMethod S256']) assert.ok(out.guide.includes(expected), expected)
    assert.match(out.guide, /\?logout=backchannel\n {2}\(it is\)\./)

    const record = await server.onedoor.services.clients.findRecord(out.client_id)
    assert.equal(record!.source, 'onboard')
    assert.equal(record!.divisionCode, '230102')
    assert.equal(record!.name, '道里区政务服务系统')
    const person = await server.addPerson()
    const { tokens } = await signIn(server, { clientId: out.client_id, clientSecret: out.client_secret }, person, { redirectUri, scope: 'openid phone' })
    assert.equal(tokens.claims()!.aud, out.client_id)
  })

  it('prints the guide as text with the credentials first', async () => {
    const result = await cli('--division', '230100', '--redirect-uri', 'http://127.0.0.1:9/cb', '--name', '哈尔滨市测试系统')
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /^client_id: +hlj-230100-/)
    assert.match(result.stdout, /client_secret: +\S{43}\n\(store the secret now/)
    assert.match(result.stdout, /# 哈尔滨市测试系统 \(哈尔滨市\)/)
    assert.match(result.stdout, /re-register with --backchannel-logout-uri set to that value/)
  })

  it('refuses an unknown division, a bad URI or a bad option with every problem and writes nothing', async () => {
    const before = (await server.onedoor.services.clients.list()).length
    const bad = await cli('--division', '239999', '--redirect-uri', 'not-a-uri')
    assert.equal(bad.status, 1)
    assert.match(bad.stderr, /unknown division code 239999/)
    assert.match(bad.stderr, /redirectUris\[0\]: malformed URI/)
    const option = await cli('--division', '230102', '--redirect-uri', 'http://127.0.0.1:9/cb', '--consent', 'maybe')
    assert.equal(option.status, 1)
    assert.match(option.stderr, /--consent must be explicit or implicit/)
    assert.equal((await server.onedoor.services.clients.list()).length, before)
  })

  it('refuses http URIs when the issuer is https (production)', async () => {
    await assert.rejects(
      onboardSystem(server.onedoor.services.federation, { divisionCode: '230102', redirectUris: ['http://portal.example/cb'], requireHttps: true }),
      (err: { code: string; details: { problems: string[] } }) => err.code === 'FEDERATION_MANIFEST_INVALID' && /http is not allowed/.test(err.details.problems.join()),
    )
  })

  it('lists only the claims of the approved scopes in the guide', () => {
    const guide = integrationGuide({ issuer: 'https://id.example', clientId: 'c', name: 'n', divisionName: 'd', redirectUri: 'https://p.example/cb', scopes: ['openid', 'profile'], claimsByScope: CLAIMS, consentPolicy: 'explicit' })
    assert.match(guide, /Claims you may receive: sub, (.*, )?name\n/)
    assert.ok(!guide.includes('phone_number'))
  })
})
