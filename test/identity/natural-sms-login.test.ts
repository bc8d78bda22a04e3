import assert from 'node:assert/strict'
import { randomPhone, startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { discover } from '../helpers/relying-party.js'
import { atRp, IDENTITY_OVERRIDES, latestCode, openLoginPage, outboxCount, REDIRECT_URI } from './natural-helpers.js'

describe('phone + SMS code sign-in (短信验证码登录)', function () {
  this.timeout(120_000)
  let server: TestServer
  let clientId: string
  let person: Awaited<ReturnType<TestServer['addPerson']>>

  before(async () => {
    server = await startOneDoor({ overrides: { ...IDENTITY_OVERRIDES, sms: { resendIntervalSeconds: 0, perPhonePerHour: 5, perIpPerHour: 1000 } } })
    clientId = (await server.addClient({ name: '南岗区政务服务', redirectUris: [REDIRECT_URI], public: true })).clientId
    person = await server.addPerson({ name: '赵六' })
  })
  after(async () => server?.close())

  async function smsPage() {
    const opened = await openLoginPage(server, clientId)
    assert.match(opened.page.body, /\/sms-login"/, 'the login page links to SMS sign-in')
    const page = await opened.agent.get(`${server.url}/interaction/${opened.uid}/sms-login`)
    assert.equal(page.status, 200)
    return { ...opened, page }
  }

  it('signs in with a code from the outbox; the session records amr sms', async () => {
    const { agent, page, start } = await smsPage()
    const sent = await agent.submit(page, '/sms-login', { action: 'send_code', phone: person.phone })
    assert.equal(sent.status, 200)
    const code = await latestCode(server, person.phone)
    assert.match(code ?? '', /^\d{6}$/)
    let next = await agent.submit(sent, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: code! }, atRp)
    if (next.status !== 0) next = await agent.submit(next, '/confirm', {}, atRp)
    assert.equal(next.status, 0, 'reached the portal')
    const config = await discover(server.url, clientId)
    const tokens = await oidc.authorizationCodeGrant(config, new URL(next.url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    assert.equal(tokens.claims()!.sub, person.id)
    // The OneDoor session records how the person signed in (RFC 8176 amr "sms"); identity-B puts amr in tokens.
    const sessions = await server.onedoor.services.accountSessions.listSessions(person.id)
    assert.ok(sessions.some((s) => s.amr.includes('sms')))
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, person.id)
    assert.equal(userinfo.phone_number_verified, true, 'the SMS code proved the phone')
  })

  it('a code works once only', async () => {
    const first = await smsPage()
    const sent = await first.agent.submit(first.page, '/sms-login', { action: 'send_code', phone: person.phone })
    const code = (await latestCode(server, person.phone))!
    const ok = await first.agent.submit(sent, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: code }, atRp)
    assert.ok(ok.status === 0 || ok.status === 200)
    const second = await smsPage()
    const replay = await second.agent.submit(second.page, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: code })
    assert.equal(replay.status, 401)
    assert.match(replay.body, /验证码不正确或已过期/)
  })

  it('burns a code after 5 wrong guesses, even if the 6th is right', async () => {
    const { agent, page } = await smsPage()
    const sent = await agent.submit(page, '/sms-login', { action: 'send_code', phone: person.phone })
    const code = (await latestCode(server, person.phone))!
    const wrong = code === '000000' ? '000001' : '000000'
    for (let i = 0; i < 5; i += 1) {
      const res = await agent.submit(sent, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: wrong })
      assert.equal(res.status, 401)
    }
    const late = await agent.submit(sent, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: code })
    assert.equal(late.status, 401)
  })

  it('refuses an expired code', async () => {
    const { agent, page } = await smsPage()
    const sent = await agent.submit(page, '/sms-login', { action: 'send_code', phone: person.phone })
    const code = (await latestCode(server, person.phone))!
    await server.onedoor.db('sms_codes').where({ phone: person.phone }).update({ expires_at: Date.now() - 1 })
    const res = await agent.submit(sent, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: code })
    assert.equal(res.status, 401)
  })

  it('stores codes hashed, never in clear', async () => {
    const { agent, page } = await smsPage()
    await agent.submit(page, '/sms-login', { action: 'send_code', phone: person.phone })
    const code = (await latestCode(server, person.phone))!
    const rows = await server.onedoor.db('sms_codes').where({ phone: person.phone })
    assert.ok(rows.length > 0)
    assert.ok(!JSON.stringify(rows).includes(code))
  })

  it('answers an unknown phone like a known one and sends nothing', async () => {
    const unknown = randomPhone()
    const { agent, page } = await smsPage()
    const sent = await agent.submit(page, '/sms-login', { action: 'send_code', phone: unknown })
    assert.equal(sent.status, 200)
    assert.match(sent.body, /如该号码已注册/)
    assert.equal(await outboxCount(server, unknown), 0)
    const res = await agent.submit(sent, '/sms-login', { action: 'sign_in', phone: unknown, smsCode: '123456' })
    assert.equal(res.status, 401)
    assert.match(res.body, /验证码不正确或已过期/)
  })

  it('rate-limits codes per phone (shared counters)', async () => {
    const limited = await server.addPerson({ name: '钱七' })
    const { agent, page } = await smsPage()
    for (let i = 0; i < 5; i += 1) {
      const res = await agent.submit(page, '/sms-login', { action: 'send_code', phone: limited.phone })
      assert.equal(res.status, 200)
    }
    const sixth = await agent.submit(page, '/sms-login', { action: 'send_code', phone: limited.phone })
    assert.equal(sixth.status, 429)
    assert.match(sixth.body, /获取验证码过于频繁/)
    assert.equal(await outboxCount(server, limited.phone), 5)
    // An unregistered number runs into the same limit at the same point (no enumeration through 429).
    const unknown = randomPhone()
    const statuses = []
    for (let i = 0; i < 6; i += 1) statuses.push((await agent.submit(page, '/sms-login', { action: 'send_code', phone: unknown })).status)
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429])
    assert.equal(await outboxCount(server, unknown), 0)
  })

  it('bad input: a malformed phone or code gives a clear 4xx', async () => {
    const { agent, page } = await smsPage()
    const bad = await agent.submit(page, '/sms-login', { action: 'send_code', phone: 'not-a-phone' })
    assert.equal(bad.status, 400)
    assert.match(bad.body, /手机号码不正确/)
    const badCode = await agent.submit(page, '/sms-login', { action: 'sign_in', phone: person.phone, smsCode: 'abc' })
    assert.equal(badCode.status, 401)
    const huge = await agent.submit(page, '/sms-login', { action: 'sign_in', phone: 'x'.repeat(5000), smsCode: '1'.repeat(5000) })
    assert.ok(huge.status >= 400 && huge.status < 500)
  })
})

describe('SMS codes per IP', function () {
  this.timeout(120_000)
  let server: TestServer
  let clientId: string
  before(async () => {
    server = await startOneDoor({ overrides: { sms: { resendIntervalSeconds: 0, perPhonePerHour: 5, perIpPerHour: 3 } } })
    clientId = (await server.addClient({ name: 'Portal', redirectUris: [REDIRECT_URI], public: true })).clientId
  })
  after(async () => server?.close())

  it('stops one IP from sending codes to many phones', async () => {
    const people = await Promise.all([1, 2, 3, 4].map(() => server.addPerson()))
    const { agent, uid } = await openLoginPage(server, clientId)
    const page = await agent.get(`${server.url}/interaction/${uid}/sms-login`)
    const statuses = []
    for (const p of people) statuses.push((await agent.submit(page, '/sms-login', { action: 'send_code', phone: p.phone })).status)
    assert.deepEqual(statuses, [200, 200, 200, 429])
  })
})
