/*
 * The legal representative's agents page in the account centre (/account/agents). Threat: a
 * borrowed or stolen account-centre session hands out authority to act for an enterprise; so
 * every change needs level 3 (real-name verified identity plus a TOTP code at the change).
 */
import assert from 'node:assert/strict'
import { enrolTotp, stepOf, unusedTotpCode, verifyAtCounter } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

const USCC = '92230103MA0000007K'

describe('account centre: agents and mandates', () => {
  let server: TestServer
  let representative: Awaited<ReturnType<TestServer['addPerson']>>
  let secret: string
  let enrolledAt: number

  before(async () => {
    server = await startOneDoor()
    representative = await server.addPerson({ name: '吴个体' })
    await verifyAtCounter(server, representative.id)
    ;({ secret, enrolledAt } = await enrolTotp(server, representative.id))
    await server.onedoor.services.enterprises.registerEnterprise({ uscc: USCC, name: '道里区吴记小吃店', legalRepresentativeIdNumber: representative.idNumber })
  })
  // Closing (and dropping a PostgreSQL schema) can be slow on a shared, loaded machine.
  after(async function () {
    this.timeout(120_000)
    await server?.close()
  })

  async function openAgents(person: { idNumber: string; password: string }): Promise<{ agent: UserAgent; page: PageResponse }> {
    const agent = new UserAgent({ 'accept-language': 'en' })
    let page = await agent.get(`${server.url}/account/agents`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    if (page.body.includes('/confirm"')) page = await agent.submit(page, '/confirm', {})
    assert.equal(new URL(page.url).pathname, '/account/agents')
    return { agent, page }
  }

  const mandates = () => server.onedoor.db('mandates').select()

  it('grants and revokes a mandate only with a valid TOTP code', async () => {
    const agentPerson = await server.addPerson({ name: '郑经办' })
    let { agent, page } = await openAgents(representative)
    assert.equal(page.status, 200)
    assert.match(page.body, /道里区吴记小吃店/)
    assert.ok(page.body.includes(USCC))

    const used = [stepOf(enrolledAt)]
    const { code: right, step } = await unusedTotpCode(secret, used)
    used.push(step)
    page = await agent.submit(page, '/account/agents/grant', { agentIdNumber: agentPerson.idNumber, code: right === '123456' ? '654321' : '123456' })
    assert.equal(page.status, 401)
    assert.match(page.body, /not correct/)
    assert.equal((await mandates()).length, 0, 'nothing written without the code')

    page = await agent.submit(page, '/account/agents/grant', { agentIdNumber: 'not-an-id', code: right })
    assert.equal(page.status, 400)
    assert.equal((await mandates()).length, 0)

    page = await agent.submit(page, '/account/agents/grant', { agentIdNumber: agentPerson.idNumber, until: '2031-06-30', code: right })
    assert.equal(page.status, 200)
    assert.match(page.body, /in force from the agent/)
    assert.match(page.body, /郑经办/)
    assert.equal((await mandates()).length, 1)

    // The same code again (same step) is a replay.
    page = await agent.submit(page, '/account/agents/revoke', { code: right })
    assert.equal(page.status, 401)
    page = await agent.submit(page, '/account/agents/revoke', { code: (await unusedTotpCode(secret, used)).code })
    assert.equal(page.status, 200)
    assert.match(page.body, /revoked/)
    assert.ok((await mandates())[0].revoked_at, 'revoked')
  })

  it('refuses changes from a person below level 2 and requests without the CSRF field', async () => {
    const unverified = await server.addPerson()
    await server.onedoor.services.enterprises.registerEnterprise({ uscc: '91230102MA00007360', name: '未实名公司', legalRepresentativeIdNumber: unverified.idNumber })
    const { agent, page } = await openAgents(unverified)
    assert.match(page.body, /verify your real name/i)
    const refused = await agent.submit(page, '/account/agents/grant', { agentIdNumber: representative.idNumber, code: '000000' })
    assert.equal(refused.status, 403)
    const before = (await mandates()).length
    const noCsrf = await agent.postForm(`${server.url}/account/agents/grant`, { agentIdNumber: representative.idNumber, code: '000000' })
    assert.equal(noCsrf.status, 403)
    assert.equal((await mandates()).length, before)
  })
})
