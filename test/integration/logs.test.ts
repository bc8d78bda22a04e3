/*
 * Threat: credentials and personal data copied into logs, which many more people and systems
 * can read than the database. A full sign-in, token and logout cycle (with failures) must leave
 * no ID number, password, code, token or client secret in the JSON logs (issue 2, Operations).
 */
import assert from 'node:assert/strict'
import pino from 'pino'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { createTestDatabase, freePort, logLineSink, randomIdNumber, testConfig, type TestDatabase, type TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { authorize, introspect, postForm, signIn, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { registerClient } from '../../src/oidc/index.js'

describe('logs carry no secrets or personal data', () => {
  const lines: string[] = []
  let database: TestDatabase
  let onedoor: OneDoor
  let server: TestServer

  before(async () => {
    database = createTestDatabase()
    const port = await freePort()
    const config = testConfig(database, port)
    const sink = logLineSink(lines)
    // The production logger's settings (redaction included), at the most verbose level.
    onedoor = await createOneDoor(config, { logger: pino({ level: 'trace', base: { service: 'onedoor' }, redact: { paths: ['password', '*.password'], censor: '[redacted]' } }, sink) })
    await onedoor.listen(port, '127.0.0.1')
    // A TestServer view of it, for the sign-in helpers.
    server = {
      url: config.issuer,
      port,
      config,
      onedoor,
      database,
      async addPerson() {
        throw new Error('not used')
      },
      async addClient(input) {
        const registered = await registerClient({ config, clients: onedoor.services.clients, loadJwks: onedoor.services.keySet.loadSigningJwks }, { name: 'Log test portal', ...input })
        return { clientId: registered.clientId, clientSecret: registered.clientSecret }
      },
      async close() {},
    }
  })
  after(async () => {
    await onedoor?.close(2000)
    await database?.drop()
  })

  it('after sign-ins, token calls, failures and logout', async () => {
    const secrets: string[] = []
    const redirectUri = 'http://127.0.0.1:9/log-cb'
    const postLogoutUri = 'http://127.0.0.1:9/log-out'
    const password = 'Log-Check-Password-93'
    const fullIdNumber = randomIdNumber()
    const created = await onedoor.services.persons.registerPerson({ name: '赵六', idNumber: fullIdNumber, phone: '13811112222', password })
    const person: TestPerson = { id: created.id, name: '赵六', idNumber: fullIdNumber, phone: '13811112222', password }
    const unreachable = `http://127.0.0.1:${await freePort()}/bc`
    const client = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri], backchannelLogoutUri: unreachable })
    const publicClient = await server.addClient({ redirectUris: [redirectUri], public: true })
    secrets.push(fullIdNumber, password, client.clientSecret!)

    // A failed sign-in with a wrong password, then a good one; tokens used every way.
    const failing = new UserAgent()
    const start = await authorize(server, client, person, { redirectUri, agent: new UserAgent() })
    secrets.push(start.callbackUrl.searchParams.get('code')!)
    const loginPage = await failing.get((await oidc.buildAuthorizationUrl(start.config, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' })).toString())
    await failing.submit(loginPage, '/login', { identifier: fullIdNumber, password: 'Wrong-Password-77' })
    secrets.push('Wrong-Password-77')
    const tokens = await oidc.authorizationCodeGrant(start.config, start.callbackUrl, { pkceCodeVerifier: start.start.codeVerifier, expectedState: start.start.state, expectedNonce: start.start.nonce })
    secrets.push(tokens.access_token, tokens.refresh_token!, tokens.id_token!)
    const replay = await postForm(server, '/token', { grant_type: 'authorization_code', code: start.callbackUrl.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: start.start.codeVerifier }, client)
    assert.equal(replay.status, 400)

    const session = await signIn(server, client, person, { redirectUri, agent: start.agent })
    secrets.push(session.tokens.access_token, session.tokens.refresh_token!)
    const refreshed = await oidc.refreshTokenGrant(session.config, session.tokens.refresh_token!)
    secrets.push(refreshed.access_token)
    await oidc.fetchUserInfo(session.config, refreshed.access_token, person.id)
    await introspect(server, client, refreshed.access_token)
    const cc = await oidc.clientCredentialsGrant(session.config)
    secrets.push(cc.access_token)
    await oidc.tokenRevocation(session.config, cc.access_token)
    await fetch(`${server.url}/me?access_token=${encodeURIComponent(refreshed.access_token)}`)

    const publicSession = await signIn(server, publicClient, person, { redirectUri })
    secrets.push(publicSession.tokens.refresh_token!)
    const rotated = await oidc.refreshTokenGrant(publicSession.config, publicSession.tokens.refresh_token!)
    secrets.push(rotated.refresh_token!)
    await postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: publicSession.tokens.refresh_token! }, publicClient)

    // Logout with a back-channel delivery that fails (logged as a warning).
    const endSession = oidc.buildEndSessionUrl(session.config, { id_token_hint: session.tokens.id_token!, post_logout_redirect_uri: postLogoutUri })
    const confirmation = await session.agent.get(endSession.toString())
    await session.agent.submit(confirmation, '/session/end/confirm', { logout: 'yes' }, (url) => url.toString().startsWith(postLogoutUri))

    assert.ok(lines.length > 20, 'requests were logged')
    assert.ok(lines.some((line) => line.includes('"requestId"')), 'log lines carry request ids')
    const log = lines.join('\n')
    for (const secret of secrets) {
      assert.ok(secret && secret.length >= 8)
      assert.ok(!log.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the logs`)
    }
    assert.ok(!log.includes(fullIdNumber.slice(4, 14)), 'no recognisable part of the ID number')
    assert.ok(!log.includes('13811112222'), 'no phone number')
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), 'every log line is JSON')
    if (process.env.ONEDOOR_SHOW_LOGS) console.log(log)
  })
})
