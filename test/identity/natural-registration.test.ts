import assert from 'node:assert/strict'
import { randomIdNumber, randomPhone, startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { signInThroughPages } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { IDENTITY_OVERRIDES, latestCode, openLoginPage, outboxCount, personCount, REDIRECT_URI } from './natural-helpers.js'

describe('self-registration through the pages (natural persons)', function () {
  this.timeout(120_000)
  let server: TestServer
  let clientId: string

  before(async () => {
    server = await startOneDoor({ overrides: IDENTITY_OVERRIDES })
    clientId = (await server.addClient({ name: '道里区政务服务', redirectUris: [REDIRECT_URI], public: true })).clientId
  })
  after(async () => server?.close())

  async function registerPage() {
    const { agent, page, uid, start } = await openLoginPage(server, clientId)
    assert.match(page.body, /\/register"/, 'the login page links to registration')
    const form = await agent.get(`${server.url}/interaction/${uid}/register`)
    assert.equal(form.status, 200)
    return { agent, form, uid, start }
  }

  it('registers with an SMS-verified phone, then signs in with the new password', async () => {
    const { agent, form } = await registerPage()
    const phone = randomPhone()
    const idNumber = randomIdNumber()
    const sent = await agent.submit(form, '/register', { action: 'send_code', name: '王小明', idNumber, phone, documentType: 'resident_id' })
    assert.equal(sent.status, 200)
    assert.match(sent.body, /role="status"/)
    assert.ok(sent.body.includes('王小明'), 'fields are kept across "send code"')
    const code = await latestCode(server, phone)
    assert.match(code ?? '', /^\d{6}$/)
    const password = '黑土地上的白桦林 2026'
    const done = await agent.submit(sent, '/register', { action: 'register', name: '王小明', idNumber, phone, documentType: 'resident_id', smsCode: code!, password, privacy: 'yes' })
    assert.equal(done.status, 200, done.body.slice(0, 500))
    assert.ok(done.body.includes(`value="${phone}"`), 'back at the sign-in with the phone filled in')
    const person = await server.onedoor.services.persons.findPersonByPhone(phone)
    assert.ok(person)
    assert.equal(person.name, '王小明')
    assert.equal(person.phoneVerified, true)
    assert.equal(person.idNumberMasked, `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`)
    // The ID number is sealed: not in clear anywhere in the row.
    const row = await server.onedoor.db('persons').where({ id: person.id }).first()
    assert.ok(!JSON.stringify(row).includes(idNumber))
    // And the password works at the login form of the same sign-in.
    const signedIn = await agent.submit(done, '/login', { identifier: idNumber, password }, (url) => url.toString().startsWith(REDIRECT_URI))
    assert.ok(signedIn.status === 0 || /\/confirm"/.test(signedIn.body), 'the sign-in continues to consent or the portal')
  })

  it('registers with a passport (typed document) and rejects a second account for the same document', async () => {
    const phone = randomPhone()
    const { agent, form } = await registerPage()
    const fields = { name: 'Ivan Petrov', documentType: 'passport', documentCountry: 'rus', idNumber: '752384615', phone }
    const sent = await agent.submit(form, '/register', { ...fields, action: 'send_code' })
    const done = await agent.submit(sent, '/register', { ...fields, action: 'register', smsCode: (await latestCode(server, phone))!, password: 'snow over the amur river', privacy: 'yes' })
    assert.equal(done.status, 200)
    const person = await server.onedoor.services.persons.findPersonByPhone(phone)
    assert.equal(person?.documentType, 'passport')
    assert.equal(person?.idNumberMasked, 'RUS:7523*4615')

    const again = await registerPage()
    const phone2 = randomPhone()
    const fields2 = { ...fields, documentCountry: 'RUS', idNumber: '752 384 615', phone: phone2 }
    const sent2 = await again.agent.submit(again.form, '/register', { ...fields2, action: 'send_code' })
    const before = await personCount(server)
    const dup = await again.agent.submit(sent2, '/register', { ...fields2, action: 'register', smsCode: (await latestCode(server, phone2))!, password: 'snow over the amur river', privacy: 'yes' })
    assert.equal(dup.status, 409)
    assert.match(dup.body, /role="alert"/)
    assert.equal(await personCount(server), before, 'nothing written')
  })

  it('registers HK/Macao and Taiwan residence permits as typed documents and refuses a wrong area', async () => {
    const { agent, form } = await registerPage()
    const phone = randomPhone()
    const permit = randomIdNumber('810000')
    const fields = { name: '陈大文', documentType: 'hk_macao_residence_permit', idNumber: permit, phone }
    const wrongType = await agent.submit(form, '/register', { ...fields, documentType: 'taiwan_residence_permit', action: 'register', smsCode: '123456', password: 'harbour lights at night', privacy: 'yes' })
    assert.equal(wrongType.status, 400)
    assert.match(wrongType.body, /证件号码不正确|document number is not valid/)
    const sent = await agent.submit(form, '/register', { ...fields, action: 'send_code' })
    const done = await agent.submit(sent, '/register', { ...fields, action: 'register', smsCode: (await latestCode(server, phone))!, password: 'harbour lights at night', privacy: 'yes' })
    assert.equal(done.status, 200)
    const person = await server.onedoor.services.persons.findPersonByPhone(phone)
    assert.equal(person?.documentType, 'hk_macao_residence_permit')
    // A GB 11643-format permit signs in like an ID number.
    const { agent: a2, start } = await openLoginPage(server, clientId)
    const { callbackUrl } = await signInThroughPages(a2, start.url, REDIRECT_URI, { identifier: permit, password: 'harbour lights at night' })
    assert.ok(callbackUrl.searchParams.get('code'))
  })

  describe('bad input: a clear message and nothing written', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['an invalid ID number', { idNumber: '230102199001011231' }, /身份证号码不正确/],
      ['a password shorter than 8', { password: 'short' }, /密码太短/],
      ['a common password', { password: 'password123' }, /过于常见/],
      ['a Chinese common password', { password: 'woaini1314' }, /过于常见/],
      ['a password containing the name', { password: '我是王小明啊啊啊' }, /不能包含/],
      ['a password containing the service name', { password: 'my onedoor secret' }, /不能包含/],
      ['a password containing 一扇门', { password: '一扇门的密码很长很长' }, /不能包含/],
      ['an unsupported document type', { documentType: 'driving_licence' }, /不支持该证件类型/],
      ['a bad phone', { phone: '12345' }, /手机号码不正确/],
      ['no privacy acceptance', { privacy: '' }, /个人信息保护告知/],
      ['a wrong SMS code', { smsCode: '000000' }, /验证码不正确/],
      ['no name', { name: '' }, /请填写姓名/],
    ]
    for (const [what, change, message] of cases) {
      it(`refuses ${what}`, async () => {
        const { agent, form } = await registerPage()
        const phone = randomPhone()
        const idNumber = randomIdNumber()
        const base = { name: '王小明', idNumber, phone, documentType: 'resident_id' }
        await agent.submit(form, '/register', { ...base, action: 'send_code' })
        const realCode = (await latestCode(server, phone)) ?? '000000'
        const before = await personCount(server)
        const fields = { ...base, action: 'register', smsCode: realCode === '000000' ? '111111' : realCode, password: 'a long enough passphrase', privacy: 'yes', ...change }
        if (change.smsCode === '000000' && realCode === '000000') fields.smsCode = '999999'
        const page = await agent.submit(form, '/register', fields)
        assert.ok(page.status >= 400 && page.status < 500, `status ${page.status}`)
        assert.match(page.body, message)
        assert.equal(await personCount(server), before, 'no person written')
        assert.ok(!page.body.includes('a long enough passphrase'), 'the password is never echoed')
      })
    }

    it('shows the privacy notice in zh-CN and en', async () => {
      const agent = new UserAgent()
      const zh = await agent.get(`${server.url}/privacy`)
      assert.equal(zh.status, 200)
      assert.match(zh.body, /个人信息保护告知/)
      const en = await agent.get(`${server.url}/privacy?ui_locales=en`)
      assert.match(en.body, /Privacy notice/)
    })

    it('a stale or foreign interaction gives the expired page, not a 500', async () => {
      const agent = new UserAgent()
      const page = await agent.get(`${server.url}/interaction/nonexistent/register`)
      assert.equal(page.status, 400)
      const post = await agent.postForm(`${server.url}/interaction/nonexistent/register`, { action: 'register' })
      assert.equal(post.status, 400)
      assert.equal(await outboxCount(server, '13900000000'), 0)
    })
  })
})
