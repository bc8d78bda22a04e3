import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { signInThroughPages } from '../helpers/relying-party.js'
import { afterThisSecond } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { IDENTITY_OVERRIDES, latestCode, openLoginPage, REDIRECT_URI } from './natural-helpers.js'

describe('password reset by SMS code', function () {
  this.timeout(120_000)
  let server: TestServer
  let clientId: string

  before(async () => {
    server = await startOneDoor({ overrides: IDENTITY_OVERRIDES })
    clientId = (await server.addClient({ name: '香坊区政务服务', redirectUris: [REDIRECT_URI], public: true })).clientId
  })
  after(async () => server?.close())

  async function resetPage() {
    const opened = await openLoginPage(server, clientId)
    assert.match(opened.page.body, /\/reset"/, 'the login page links to password reset')
    const page = await opened.agent.get(`${server.url}/interaction/${opened.uid}/reset`)
    assert.equal(page.status, 200)
    return { ...opened, page }
  }

  it('resets the password, ends existing sessions, and the new password signs in', async () => {
    const person = await server.addPerson({ name: '孙八' })
    // An existing session somewhere else.
    const other = await openLoginPage(server, clientId)
    await signInThroughPages(other.agent, other.start.url, REDIRECT_URI, { identifier: person.phone, password: person.password })
    const sessionsBefore = await server.onedoor.services.accountSessions.listSessions(person.id)
    assert.equal(sessionsBefore.length, 1)

    const { agent, page } = await resetPage()
    const sent = await agent.submit(page, '/reset', { action: 'send_code', phone: person.phone })
    assert.match(sent.body, /如该号码已注册/)
    const code = (await latestCode(server, person.phone))!
    // A weak new password is refused without spending the code.
    const weak = await agent.submit(sent, '/reset', { action: 'reset', phone: person.phone, smsCode: code, password: '12345678' })
    assert.equal(weak.status, 400)
    assert.match(weak.body, /过于常见/)
    const newPassword = '松花江边的冰灯与雪'
    const done = await agent.submit(sent, '/reset', { action: 'reset', phone: person.phone, smsCode: code, password: newPassword })
    assert.equal(done.status, 200)
    assert.match(done.body, /密码已重置/)
    assert.equal((await server.onedoor.services.accountSessions.listSessions(person.id)).length, 0, 'old sessions ended')
    await afterThisSecond()

    const fresh = await openLoginPage(server, clientId)
    const old = await fresh.agent.submit(fresh.page, '/login', { identifier: person.phone, password: person.password })
    assert.equal(old.status, 401)
    const { callbackUrl } = await signInThroughPages(new UserAgent(), (await openLoginPage(server, clientId)).start.url, REDIRECT_URI, { identifier: person.idNumber, password: newPassword })
    assert.ok(callbackUrl.searchParams.get('code'))
  })

  it('refuses a wrong code and an unknown phone with the same answer, changing nothing', async () => {
    const person = await server.addPerson()
    const hashBefore = (await server.onedoor.db('persons').where({ id: person.id }).first()).password_hash
    const { agent, page } = await resetPage()
    await agent.submit(page, '/reset', { action: 'send_code', phone: person.phone })
    const wrong = await agent.submit(page, '/reset', { action: 'reset', phone: person.phone, smsCode: '000000' === (await latestCode(server, person.phone)) ? '000001' : '000000', password: 'a fine new passphrase' })
    assert.equal(wrong.status, 400)
    assert.match(wrong.body, /验证码不正确或已过期/)
    const unknown = await agent.submit(page, '/reset', { action: 'reset', phone: '13800000001', smsCode: '123456', password: 'a fine new passphrase' })
    assert.equal(unknown.status, 400)
    assert.match(unknown.body, /验证码不正确或已过期/)
    assert.equal((await server.onedoor.db('persons').where({ id: person.id }).first()).password_hash, hashBefore)
  })

  it('refuses a new password containing the phone number', async () => {
    const person = await server.addPerson()
    const { agent, page } = await resetPage()
    await agent.submit(page, '/reset', { action: 'send_code', phone: person.phone })
    const res = await agent.submit(page, '/reset', { action: 'reset', phone: person.phone, smsCode: (await latestCode(server, person.phone))!, password: `my phone ${person.phone}` })
    assert.equal(res.status, 400)
    assert.match(res.body, /不能包含/)
  })
})
