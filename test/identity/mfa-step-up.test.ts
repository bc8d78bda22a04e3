/*
 * Step-up by acr_values (issue 3): the session's acr follows the identity's real-name level, a
 * request for level 3 asks for TOTP within the same sign-in, and acr / amr / auth_time in the ID
 * token (checked by openid-client) say what actually happened.
 */
import assert from 'node:assert/strict'
import { ACR, codes, codes as once, enrolTotp, totpCodeAt, verifyAtCounter, walkSignIn, stepOf, unusedTotpCode } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('step-up by acr_values', () => {
  let server: TestServer
  let client: { clientId: string; clientSecret?: string }
  let config: oidc.Configuration
  const redirectUri = 'http://127.0.0.1:9/cb'

  before(async () => {
    server = await startOneDoor()
    client = await server.addClient({ name: '不动产登记', redirectUris: [redirectUri] })
    config = await discover(server.url, client.clientId, client.clientSecret)
  })
  // Closing (and dropping a PostgreSQL schema) can be slow on a shared, loaded machine.
  after(async function () {
    this.timeout(120_000)
    await server?.close()
  })

  async function redeem(start: Awaited<ReturnType<typeof startAuthorization>>, callbackUrl: URL) {
    return oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  }

  it('publishes the configured levels as acr_values_supported', async () => {
    const metadata = config.serverMetadata()
    assert.deepEqual(metadata.acr_values_supported, [ACR[1], ACR[2], ACR[3]])
    assert.equal(metadata.claims_parameter_supported, true)
  })

  it('states level 1 for a registered identity and level 2 once verified at a counter', async () => {
    const person = await server.addPerson()
    let start = await startAuthorization(config, { redirect_uri: redirectUri })
    let walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.ok(walked.callbackUrl, 'reached the relying party')
    assert.equal((await redeem(start, walked.callbackUrl)).claims()!.acr, ACR[1])

    await verifyAtCounter(server, person.id)
    start = await startAuthorization(config, { redirect_uri: redirectUri })
    walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    const claims = (await redeem(start, walked.callbackUrl!)).claims()!
    assert.equal(claims.acr, ACR[2])
    assert.deepEqual(claims.amr, ['pwd'])
  })

  it('steps a signed-in level-2 session up to level 3 with TOTP, without a second password', async () => {
    const person = await server.addPerson()
    await verifyAtCounter(server, person.id)
    const { secret } = await enrolTotp(server, person.id)
    const agent = new UserAgent()
    let start = await startAuthorization(config, { redirect_uri: redirectUri })
    let walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    const first = (await redeem(start, walked.callbackUrl!)).claims()!
    assert.equal(first.acr, ACR[2])

    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    walked = await walkSignIn(agent, start.url, redirectUri, { identifier: '', password: '', totp: () => totpCodeAt(secret, Date.now() + 30_000) })
    assert.ok(walked.pages.every((p) => !p.body.includes('/login"')), 'no password page in the step-up')
    assert.ok(walked.pages.some((p) => p.body.includes('/totp"')), 'the TOTP page was shown')
    const stepped = (await redeem(start, walked.callbackUrl!)).claims()!
    assert.equal(stepped.acr, ACR[3])
    assert.ok((stepped.amr as string[]).includes('pwd') && (stepped.amr as string[]).includes('otp'), `amr ${JSON.stringify(stepped.amr)}`)
    assert.ok(typeof stepped.auth_time === 'number' && stepped.auth_time >= first.auth_time!, 'auth_time is the step-up time')
    assert.equal(stepped.sub, first.sub)
  })

  it('lets an elevated level expire with max_age: password again, then TOTP again', async () => {
    const person = await server.addPerson()
    await verifyAtCounter(server, person.id)
    const { secret, enrolledAt } = await enrolTotp(server, person.id)
    const agent = new UserAgent()
    let start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    let walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(totpCodeAt(secret, enrolledAt + 30_000)) })
    assert.equal((await redeem(start, walked.callbackUrl!)).claims()!.acr, ACR[3])

    // Age the session by an hour (instead of waiting): its authentication is now older than max_age.
    const rows = await server.onedoor.db('oidc_payloads').where({ type: 'Session' })
    const row = rows.find((r) => JSON.parse(r.payload).accountId === person.id)!
    const payload = JSON.parse(row.payload)
    payload.loginTs -= 3600
    await server.onedoor.db('oidc_payloads').where({ type: 'Session', id: row.id }).update({ payload: JSON.stringify(payload) })

    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3], max_age: '600' })
    walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes((await unusedTotpCode(secret, [stepOf(enrolledAt), stepOf(enrolledAt + 30_000)])).code) })
    assert.ok(walked.pages.some((p) => p.body.includes('/login"')), 'the password is asked again')
    assert.ok(walked.pages.some((p) => p.body.includes('/totp"')), 'and the second factor again')
    const claims = (await redeem(start, walked.callbackUrl!)).claims()!
    assert.equal(claims.acr, ACR[3])
    assert.ok(Math.floor(Date.now() / 1000) - claims.auth_time! < 600, 'auth_time is within max_age')
  })

  it('asks for level 3 through the claims parameter (essential) and through default_acr_values', async () => {
    const person = await server.addPerson()
    await verifyAtCounter(server, person.id)
    const { secret, recoveryCodes } = await enrolTotp(server, person.id)
    const claimsParam = JSON.stringify({ id_token: { acr: { essential: true, values: [ACR[3]] } } })
    let start = await startAuthorization(config, { redirect_uri: redirectUri, claims: claimsParam })
    let walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: () => totpCodeAt(secret, Date.now() + 30_000) })
    assert.equal((await redeem(start, walked.callbackUrl!)).claims()!.acr, ACR[3])

    const strict = await server.addClient({ name: '税务', redirectUris: [redirectUri], extraMetadata: { default_acr_values: [ACR[3]] } })
    const strictConfig = await discover(server.url, strict.clientId, strict.clientSecret)
    start = await startAuthorization(strictConfig, { redirect_uri: redirectUri })
    // A recovery code as the second factor: the enrolment and the first sign-in used two of the
    // three time steps the window accepts, and the third (the previous step) could expire while the
    // password is checked.
    walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: () => recoveryCodes[0] })
    const tokens = await oidc.authorizationCodeGrant(strictConfig, walked.callbackUrl!, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    assert.equal(tokens.claims()!.acr, ACR[3])
  })

  it('explains how to raise the level when the identity is below it, never a bare error', async () => {
    const person = await server.addPerson()
    // Essential: the page explains, and offers no way to continue lower.
    const claimsParam = JSON.stringify({ id_token: { acr: { essential: true, values: [ACR[2]] } } })
    let start = await startAuthorization(config, { redirect_uri: redirectUri, claims: claimsParam, ui_locales: 'en' })
    let walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.equal(walked.callbackUrl, undefined)
    assert.equal(walked.page.status, 200)
    assert.match(walked.page.body, /How to raise your level/)
    assert.match(walked.page.body, /service hall/)
    assert.ok(!walked.page.body.includes('/assurance-continue"'), 'no continue-lower for an essential request')

    // Voluntary (acr_values): the person may continue at level 1, and the token says level 1.
    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[2] })
    const agent = new UserAgent()
    walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.ok(walked.page.body.includes('/assurance-continue"'))
    const atRp = (u: URL) => u.toString().startsWith(redirectUri)
    let page = await agent.submit(walked.page, '/assurance-continue', {}, atRp)
    if (page.status !== 0) page = await agent.submit(page, '/confirm', {}, atRp)
    assert.equal(page.status, 0)
    assert.equal((await redeem(start, new URL(page.url))).claims()!.acr, ACR[1])
  })

  it('offers enrolment within the flow to a level-2 person without an authenticator', async () => {
    const person = await server.addPerson()
    await verifyAtCounter(server, person.id)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3], ui_locales: 'en' })
    const agent = new UserAgent()
    const walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.ok(walked.page.body.includes('/totp-enrol"'), 'the enrolment page')
    assert.match(walked.page.body, /<svg[^>]*viewBox/, 'QR code rendered on the server as inline SVG')
    const secret = /class="manual-key">([^<]+)</.exec(walked.page.body)![1].replace(/\s/g, '')
    const atRp = (u: URL) => u.toString().startsWith(redirectUri)
    // A wrong first code is refused and nothing is stored.
    const wrong = await agent.submit(walked.page, '/totp-enrol', { code: '000000' === totpCodeAt(secret, Date.now()) ? '111111' : '000000' }, atRp)
    assert.equal(wrong.status, 401)
    assert.equal(await server.onedoor.services.enrolment.isEnrolled(person.id), false)
    const codesPage = await agent.submit(wrong, '/totp-enrol', { code: totpCodeAt(secret, Date.now()) }, atRp)
    assert.equal(codesPage.status, 200)
    const codes = [...codesPage.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1])
    assert.equal(codes.length, 10, 'ten recovery codes shown once')
    const stored = await server.onedoor.db('recovery_codes').where({ person_id: person.id })
    assert.equal(stored.length, 10)
    assert.ok(stored.every((row) => !codes.includes(row.code_hash)), 'stored hashed')
    const totpRow = await server.onedoor.db('totp_credentials').where({ person_id: person.id }).first()
    assert.ok(!String(totpRow.secret_sealed).includes(secret), 'secret sealed at rest')
    const continueUrl = /href="([^"]*\/auth\/[^"]*)"/.exec(codesPage.body)![1].replace(/&amp;/g, '&')
    let page = await agent.get(new URL(continueUrl, server.url).toString(), atRp)
    if (page.status !== 0) page = await agent.submit(page, '/confirm', {}, atRp)
    assert.equal(page.status, 0)
    const claims = (await redeem(start, new URL(page.url))).claims()!
    assert.equal(claims.acr, ACR[3])
    assert.ok((claims.amr as string[]).includes('otp'))
    // A recovery code works once as the second factor.
    const again = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    const viaRecovery = await walkSignIn(new UserAgent(), again.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: () => codes[0] })
    assert.equal((await redeem(again, viaRecovery.callbackUrl!)).claims()!.acr, ACR[3])
    const reuse = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    const reused = await walkSignIn(new UserAgent(), reuse.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: once(codes[0]) })
    assert.equal(reused.callbackUrl, undefined)
    assert.ok(reused.page.body.includes('/totp"') && reused.page.status === 401, 'a used recovery code is refused')
  })
})
