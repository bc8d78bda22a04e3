/*
 * Threat: a burst of requests sent at the same moment, each passing a limit that none of them
 * has been counted in yet (password guesses, SMS sends). Every attempt is counted before it is
 * made; an attempt refused unmade, or one that succeeded, gives its count back.
 */
import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { IDENTITY_OVERRIDES, openLoginPage, outboxCount, REDIRECT_URI } from './natural-helpers.js'

describe('limits hold against requests sent at the same moment', function () {
  this.timeout(120_000)
  let server: TestServer
  let clientId: string

  before(async () => {
    server = await startOneDoor({
      overrides: { ...IDENTITY_OVERRIDES, signIn: { failuresPerAccountPerHour: 5, failuresPerIpPerHour: 1000 }, sms: { resendIntervalSeconds: 60, perPhonePerHour: 5, perIpPerHour: 1000 } },
    })
    clientId = (await server.addClient({ name: '道里区政务服务', redirectUris: [REDIRECT_URI], public: true })).clientId
  })
  after(async () => server?.close())

  const persons = () => server.onedoor.services.persons
  const counted = async () => Number((await server.onedoor.db('rate_limits').sum({ n: 'count' }).first())?.n ?? 0)

  it('checks at most the limit of 16 wrong passwords sent at once; the rest are throttled unchecked', async () => {
    const person = await server.addPerson()
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        persons()
          .authenticateWithPassword(person.idNumber, `wrong ${i}`, { ip: '10.1.2.3' })
          .then((found) => (found ? 'signed in' : 'wrong'), (err: { code?: string }) => err.code ?? String(err)),
      ),
    )
    assert.equal(results.filter((r) => r === 'wrong').length, 5, 'the limit is 5 failures per account: checking first let all 16 through')
    assert.equal(results.filter((r) => r === 'ACCOUNT_SIGN_IN_THROTTLED').length, 11)
    await assert.rejects(persons().authenticateWithPassword(person.idNumber, person.password, { ip: '10.1.2.3' }), { code: 'ACCOUNT_SIGN_IN_THROTTLED' }, 'the right password is refused too')
  })

  it('counts nothing for sign-ins that succeed, also when several run at once', async () => {
    const person = await server.addPerson()
    const before = await counted()
    // Attempts in flight count until they succeed, so up to the limit (5) can run at once.
    const results = await Promise.all(Array.from({ length: 4 }, () => persons().authenticateWithPassword(person.phone, person.password, { ip: '10.9.9.9' })))
    assert.ok(results.every((found) => found?.id === person.id), 'all 4 signed in')
    assert.equal(await counted(), before, 'no count left behind, against the account or the IP')
    // A failure then a success: the success clears the account's failures.
    assert.equal(await persons().authenticateWithPassword(person.phone, 'wrong', { ip: '10.9.9.9' }), undefined)
    assert.equal((await persons().authenticateWithPassword(person.phone, person.password, { ip: '10.9.9.9' }))?.id, person.id)
    assert.equal(await counted(), before + 1, 'only the failure against the IP is left')
  })

  it('sends one SMS code for 8 requests sent at once, and counts only that one', async () => {
    const person = await server.addPerson()
    const { agent, uid } = await openLoginPage(server, clientId)
    const smsPage = await agent.get(`${server.url}/interaction/${uid}/sms-login`)
    assert.equal(smsPage.status, 200)
    const before = await counted()
    const answers = await Promise.all(Array.from({ length: 8 }, () => agent.submit(smsPage, '/sms-login', { action: 'send_code', phone: person.phone })))
    assert.equal(await outboxCount(server, person.phone), 1, 'one message: checking first sent all 8')
    assert.equal(answers.filter((a) => a.status === 429).length, 7, 'the other 7 were told to wait')
    // One send counted against the phone (hourly and per minute) and the IP; the refused ones gave theirs back.
    assert.equal(await counted(), before + 3)
  })

  it('leaves one live code when codes for one phone are stored at the same moment', async () => {
    const phone = (await server.addPerson()).phone
    const store = server.onedoor.services.smsStore
    const at = Date.now()
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => store.insertCode({ id: `parallel-code-${i}-${at}`, phone, purpose: 'login', codeHash: `hash-${i}`, attempts: 0, createdAt: at, expiresAt: at + 600_000, consumedAt: null })),
    )
    const live = await server.onedoor.db('sms_codes').where({ phone, purpose: 'login' }).whereNull('consumed_at')
    assert.equal(live.length, 1, 'each new code retires the earlier ones, also when they were stored at once')
  })
})
