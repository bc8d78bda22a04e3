/*
 * TOTP abuse at sign-in (issue 3). Threats: a code read over the shoulder is replayed within its
 * 30 s step; a stolen password is followed by guessing the 6 digits.
 */
import assert from 'node:assert/strict'
import { ACR, codes, enrolTotp, totpCodeAt, verifyAtCounter, walkSignIn, stepOf, unusedTotpCode } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('TOTP at sign-in: replay and attempt cap', () => {
  let server: TestServer
  let config: oidc.Configuration
  const redirectUri = 'http://127.0.0.1:9/cb'

  before(async () => {
    server = await startOneDoor()
    const client = await server.addClient({ name: '社保', redirectUris: [redirectUri] })
    config = await discover(server.url, client.clientId, client.clientSecret)
  })
  // Closing (and dropping a PostgreSQL schema) can be slow on a shared, loaded machine.
  after(async function () {
    this.timeout(120_000)
    await server?.close()
  })

  async function levelThreePerson() {
    const person = await server.addPerson()
    await verifyAtCounter(server, person.id)
    return { person, ...(await enrolTotp(server, person.id)) }
  }

  it('rejects a code whose time step was already used, in another sign-in too', async () => {
    const { person, secret, enrolledAt } = await levelThreePerson()
    // The enrolment's confirming step is used: its code does not sign in.
    let start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    let walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(totpCodeAt(secret, enrolledAt)) })
    assert.equal(walked.callbackUrl, undefined)
    assert.equal(walked.page.status, 401)
    assert.ok(walked.page.body.includes('/totp"'), 'the TOTP page again, with the error')

    const next = totpCodeAt(secret, enrolledAt + 30_000)
    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(next) })
    assert.ok(walked.callbackUrl, 'a fresh step signs in')
    const tokens = await oidc.authorizationCodeGrant(config, walked.callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    assert.equal(tokens.claims()!.acr, ACR[3])

    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(next) })
    assert.equal(walked.callbackUrl, undefined, 'the same step is refused in a second sign-in')
    assert.equal(walked.page.status, 401)
  })

  it('accepts a step once even when two submissions race', async () => {
    const { person, secret, enrolledAt } = await levelThreePerson()
    const { code } = await unusedTotpCode(secret, [stepOf(enrolledAt)])
    const results = await Promise.all([0, 1].map(() => server.onedoor.services.verification.verifyForLogin(person.id, code, `race-${Math.random()}`).then(() => 'ok', (e) => e.code)))
    assert.deepEqual(results.sort(), ['MFA_CODE_INVALID', 'ok'])
  })

  it('stops the sign-in after 5 wrong codes, even for a right one, until the sign-in restarts', async () => {
    const { person, secret, enrolledAt } = await levelThreePerson()
    const agent = new UserAgent({ 'accept-language': 'en' })
    let start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    const right = totpCodeAt(secret, enrolledAt + 30_000)
    const wrong = right === '000000' ? '111111' : '000000'
    const walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(wrong, wrong, wrong, wrong) })
    assert.equal(walked.page.status, 401)
    assert.match(walked.page.body, /1 attempts left/)
    const atRp = (u: URL) => u.toString().startsWith(redirectUri)
    const fifth = await agent.submit(walked.page, '/totp', { code: wrong }, atRp)
    assert.equal(fifth.status, 429)
    assert.match(fifth.body, /Too many attempts/)
    assert.ok(!fifth.body.includes('/totp"'), 'no code form any more')
    const afterwards = await agent.postForm(new URL(/action="([^"]*)\/abort"/.exec(fifth.body)![1] + '/totp', server.url).toString(), { code: right }, atRp)
    assert.equal(afterwards.status, 429, 'the right code no longer helps in this sign-in')
    assert.equal(await server.onedoor.db('totp_used_steps').where({ person_id: person.id }).count({ n: '*' }).first().then((r) => Number(r!.n)), 1, 'the right code was not consumed')

    // A new sign-in (the person starts again at the portal) gets a fresh allowance.
    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    const again = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(right) })
    assert.ok(again.callbackUrl, 'signed in after restarting')
  })

  it('checks at most 5 of 16 wrong codes sent at once, and successes use up none of the allowance', async () => {
    const { person, secret, enrolledAt } = await levelThreePerson()
    const verification = server.onedoor.services.verification
    const { code: right } = await unusedTotpCode(secret, [stepOf(enrolledAt)])
    const wrong = right === '000000' ? '111111' : '000000'
    const verifying = (code: string, signInId: string) => verification.verifyForLogin(person.id, code, signInId).then(() => 'ok', (e: { code?: string }) => e.code ?? String(e))
    const results = await Promise.all(Array.from({ length: 16 }, () => verifying(wrong, 'burst')))
    assert.equal(results.filter((r) => r === 'MFA_CODE_INVALID').length, 4, 'four "wrong code" answers')
    assert.equal(results.filter((r) => r === 'MFA_TOO_MANY_ATTEMPTS').length, 12, 'the fifth wrong code and the 11 refused unchecked')
    // An attempt is counted before its code is checked and taken back when it checked nothing, so
    // the counters hold the codes actually checked: 5, not 16 (checking first let all 16 through).
    assert.deepEqual(await failureCounters(person.id), { [`s:${person.id}:burst`]: 5, [`p:${person.id}`]: 5 })
    assert.equal(await verification.attemptsLeft(person.id, 'burst'), 0)
    assert.equal(await verifying(right, 'burst'), 'MFA_TOO_MANY_ATTEMPTS', 'a right code does not help in the spent sign-in')

    // A right code is not a failure: another sign-in has its full allowance, and using it adds nothing.
    assert.equal(await verifying(right, 'next'), 'ok')
    assert.equal(await verification.attemptsLeft(person.id, 'next'), 5)
    assert.deepEqual(await failureCounters(person.id), { [`s:${person.id}:burst`]: 5, [`p:${person.id}`]: 5, [`s:${person.id}:next`]: 0 })
  })

  it('leaves one set of recovery codes when two regenerations run at once', async () => {
    const { person } = await levelThreePerson()
    const store = server.onedoor.services.mfaStore
    const set = (tag: string) => Array.from({ length: 10 }, (_, i) => `hash-${tag}-${i}`)
    await Promise.all([store.replaceRecoveryCodes(person.id, set('a'), Date.now()), store.replaceRecoveryCodes(person.id, set('b'), Date.now())])
    const hashes: string[] = (await server.onedoor.db('recovery_codes').where({ person_id: person.id }).select('code_hash')).map((r: { code_hash: string }) => r.code_hash)
    assert.equal(hashes.length, 10, 'the old codes stop working: one set, not both')
    assert.ok(hashes.every((h) => h.startsWith('hash-a-')) || hashes.every((h) => h.startsWith('hash-b-')))
  })

  async function failureCounters(personId: string): Promise<Record<string, number>> {
    const rows = await server.onedoor.db('mfa_attempts').where('attempt_key', 'like', `%${personId}%`).select('attempt_key', 'failures')
    return Object.fromEntries(rows.map((row: { attempt_key: string; failures: number | string }) => [row.attempt_key, Number(row.failures)]))
  }
})
