/*
 * Threat: personal data and secrets leaking into logs (log shipping, support access). After
 * registration, SMS sign-in, a throttled run, a password reset and an account closure, the log
 * holds no SMS code, ID number, password or full phone number.
 */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import pino from 'pino'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { createTestDatabase, freePort, randomIdNumber, randomPhone, testConfig, type TestDatabase, type TestServer } from '../helpers/onedoor.js'
import { UserAgent } from '../helpers/user-agent.js'
import { latestCode, openLoginPage, REDIRECT_URI } from './natural-helpers.js'

describe('nothing sensitive in the logs', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let onedoor: OneDoor
  let lines = ''

  before(async () => {
    database = createTestDatabase()
    const port = await freePort()
    const config = testConfig(database, port, { sms: { resendIntervalSeconds: 0 }, signIn: { failuresPerAccountPerHour: 3, failuresPerIpPerHour: 1000 } })
    const sink = new Writable({ write(chunk, _enc, done) { lines += chunk.toString(); done() } })
    onedoor = await createOneDoor(config, { logger: pino({ level: 'debug' }, sink) })
    await onedoor.listen(port, '127.0.0.1')
  })
  after(async () => {
    await onedoor?.close(1000)
    await database?.drop()
  })

  it('logs events without codes, ID numbers, passwords or phone numbers', async () => {
    const server = { url: onedoor.config.issuer, onedoor } as unknown as TestServer
    const { clientId } = await import('../../src/oidc/index.js').then(({ registerClient }) =>
      registerClient({ config: onedoor.config, clients: onedoor.services.clients, loadJwks: onedoor.services.keySet.loadSigningJwks }, { name: 'Portal', redirectUris: [REDIRECT_URI], public: true }),
    )
    const phone = randomPhone()
    const idNumber = randomIdNumber()
    const password = '北国风光千里冰封'
    const secrets: string[] = [idNumber, phone, password]

    // Registration.
    const { agent, uid } = await openLoginPage(server, clientId)
    const form = await agent.get(`${server.url}/interaction/${uid}/register`)
    await agent.submit(form, '/register', { action: 'send_code', name: '日志测试', idNumber, phone })
    const code = (await latestCode(server, phone))!
    secrets.push(code)
    const done = await agent.submit(form, '/register', { action: 'register', name: '日志测试', idNumber, phone, smsCode: code, password, privacy: 'yes' })
    assert.equal(done.status, 200)
    // SMS sign-in.
    const sms = await openLoginPage(server, clientId)
    const smsPage = await sms.agent.get(`${server.url}/interaction/${sms.uid}/sms-login`)
    await sms.agent.submit(smsPage, '/sms-login', { action: 'send_code', phone })
    const loginCode = (await latestCode(server, phone))!
    secrets.push(loginCode)
    await sms.agent.submit(smsPage, '/sms-login', { action: 'sign_in', phone, smsCode: loginCode })
    // Throttled password attempts.
    const bad = await openLoginPage(server, clientId)
    for (let i = 0; i < 4; i += 1) await bad.agent.submit(bad.page, '/login', { identifier: idNumber, password: `guess-${i}-${password}` })
    // Account centre, closure.
    const centre = new UserAgent()
    let page = await centre.get(`${server.url}/account/data`)
    page = await centre.submit(page, '/login', { identifier: phone, password })
    assert.equal(page.status, 200)
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]
    const closed = await centre.postForm(`${server.url}/account/close`, { csrf, password, confirm: 'yes' })
    assert.equal(closed.status, 200)

    assert.ok(lines.includes('sms.sent'), 'the log says that codes were sent')
    assert.ok(lines.includes('account.closed'))
    for (const secret of secrets) assert.ok(!lines.includes(secret), `the log must not contain ${secret.length}-character secret`)
    assert.ok(!/\d{17}[\dXx]/.test(lines), 'no ID-number-shaped string at all')
  })
})
