/*
 * The authenticator app in the account centre (/account/totp). Threat: a borrowed account-centre
 * session replaces or removes the second factor; so new recovery codes and removal need a code.
 */
import assert from 'node:assert/strict'
import { totpCodeAt } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('account centre: authenticator app', () => {
  let server: TestServer

  before(async () => {
    server = await startOneDoor()
  })
  after(async function () {
    this.timeout(120_000)
    await server?.close()
  })

  it('sets up, renews recovery codes and removes the authenticator, each change proven by a code', async () => {
    const person = await server.addPerson()
    const agent = new UserAgent({ 'accept-language': 'en' })
    let page = await agent.get(`${server.url}/account/totp`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    if (page.body.includes('/confirm"')) page = await agent.submit(page, '/confirm', {})
    assert.equal(new URL(page.url).pathname, '/account/totp')
    assert.match(page.body, /<svg[^>]*viewBox/)
    const secret = /class="manual-key">([^<]+)</.exec(page.body)![1].replace(/\s/g, '')
    const t0 = Date.now()

    const wrong = totpCodeAt(secret, t0) === '000000' ? '111111' : '000000'
    page = await agent.submit(page, '/account/totp/enrol', { code: wrong })
    assert.equal(page.status, 401)
    assert.equal(/class="manual-key">([^<]+)</.exec(page.body)![1].replace(/\s/g, ''), secret, 'the same secret again: no need to rescan')
    page = await agent.submit(page, '/account/totp/enrol', { code: totpCodeAt(secret, t0) })
    assert.equal(page.status, 200)
    const first = [...page.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1])
    assert.equal(first.length, 10)
    assert.equal(await server.onedoor.services.enrolment.isEnrolled(person.id), true)

    page = await agent.get(`${server.url}/account/totp`)
    assert.match(page.body, /10 unused recovery codes/)
    page = await agent.submit(page, '/account/totp/recovery-codes', { code: totpCodeAt(secret, t0) })
    assert.equal(page.status, 401, 'the enrolment step cannot be replayed')
    page = await agent.submit(page, '/account/totp/recovery-codes', { code: totpCodeAt(secret, t0 + 30_000) })
    const second = [...page.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1])
    assert.equal(second.length, 10)
    assert.ok(second.every((c) => !first.includes(c)), 'new codes')

    page = await agent.get(`${server.url}/account/totp`)
    page = await agent.submit(page, '/account/totp/remove', { code: first[0] })
    assert.equal(page.status, 401, 'old recovery codes no longer work')
    page = await agent.submit(page, '/account/totp/remove', { code: second[0] })
    assert.equal(page.status, 200)
    assert.match(page.body, /was removed/)
    assert.equal(await server.onedoor.services.enrolment.isEnrolled(person.id), false)
  })

  it('erases the authenticator and ends mandates held as agent when the account is closed', async () => {
    const { enrolment, enterprises, mandates } = server.onedoor.services
    const representative = await server.addPerson()
    await enterprises.registerEnterprise({ uscc: '91230102MA00009710', name: '关闭测试公司', legalRepresentativeIdNumber: representative.idNumber })
    const person = await server.addPerson()
    const enterprise = (await enterprises.listRepresentedBy(representative.id))[0]
    await mandates.grantMandate(representative.id, { enterpriseId: enterprise.id, agentIdNumber: person.idNumber })
    const pending = await enrolment.start(person.id, 'x', 'c')
    await enrolment.confirm(person.id, pending.sealed, 'c', totpCodeAt(pending.manualKey.replace(/\s/g, ''), Date.now()))

    const agent = new UserAgent()
    let page = await agent.get(`${server.url}/account/data`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    if (page.body.includes('/confirm"')) page = await agent.submit(page, '/confirm', {})
    page = await agent.submit(page, '/account/close', { password: person.password, confirm: 'yes' })
    assert.equal(page.status, 200)
    assert.equal(await enrolment.isEnrolled(person.id), false)
    assert.equal((await server.onedoor.db('recovery_codes').where({ person_id: person.id })).length, 0)
    assert.ok((await server.onedoor.db('mandates').where({ agent_id: person.id }).first()).revoked_at, 'mandate ended')
  })
})
