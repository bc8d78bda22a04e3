/*
 * Legal persons in the administration: an enterprise belongs to the division of its registration
 * authority (USCC characters 3-8); administrators verify it, change its legal representative on
 * evidence and revoke mandates — only inside their division, every change audited.
 */
import assert from 'node:assert/strict'
import { orgCodeCheckChar, usccCheckChar } from '../../src/accounts/uscc.js'
import { randomIdNumber, type TestServer } from '../helpers/onedoor.js'
import { signInThroughPages } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addAdmin, adminToken, api, startAdminServer, type TestAdmin } from './admin-helpers.js'

function uscc(division: string): string {
  const body = String(Math.floor(Math.random() * 1e8)).padStart(8, '0')
  const first17 = `91${division}${body}${orgCodeCheckChar(body)}`
  return first17 + usccCheckChar(first17)
}

describe('admin API: legal persons', function () {
  this.timeout(120_000)
  let server: TestServer
  let countyToken: string
  let countyAdmin: TestAdmin
  let otherToken: string
  const enterprises: Record<string, { id: string; uscc: string }> = {}
  let mandateId: string
  let newRep: { id: string; phone: string }

  before(async () => {
    server = await startAdminServer()
    countyAdmin = await addAdmin(server, 'county_admin', '230102')
    countyToken = await adminToken(server, countyAdmin)
    otherToken = await adminToken(server, await addAdmin(server, 'county_admin', '230103'))
    const { enterprises: service, mandates } = server.onedoor.services
    for (const division of ['230102', '230103']) {
      const rep = await server.addPerson({ idNumber: randomIdNumber(division) })
      const code = uscc(division)
      const created = await service.registerEnterprise({ uscc: code, name: `哈尔滨某某有限公司 ${division}`, legalRepresentativeIdNumber: rep.idNumber })
      enterprises[division] = { id: created.id, uscc: code }
      if (division === '230102') {
        const agent = await server.addPerson({ idNumber: randomIdNumber(division) })
        mandateId = (await mandates.grantMandate(rep.id, { enterpriseId: created.id, agentIdNumber: agent.idNumber })).id
      }
    }
    newRep = await server.addPerson({ idNumber: randomIdNumber('230102') })
  })
  after(() => server.close())

  it('finds and shows an enterprise of its division, with masked people and its mandates', async () => {
    const res = await api(server, countyToken).post('/enterprises/search', { uscc: enterprises['230102'].uscc.toLowerCase() })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.divisionCode, '230102')
    assert.match(res.body.legalRepresentative.idNumber, /^\d{4}\*{10}[\dX]{4}$/)
    assert.equal(res.body.mandates.length, 1)
    assert.equal(res.body.mandates[0].active, true)
  })

  it("refuses every action on another county's enterprise", async () => {
    const other = api(server, otherToken)
    const id = enterprises['230102'].id
    for (const res of [
      await other.get(`/enterprises/${id}`),
      await other.post('/enterprises/search', { uscc: enterprises['230102'].uscc }),
      await other.post(`/enterprises/${id}/verify`, { evidence: '营业执照原件' }),
      await other.post(`/enterprises/${id}/legal-representative`, { login: newRep.phone, evidence: '变更登记通知书' }),
      await other.post(`/enterprises/${id}/mandates/${mandateId}/revoke`, { reason: 'not mine to revoke' }),
    ]) assert.equal(res.status, 403, JSON.stringify(res.body))
    const mandate = await server.onedoor.db('mandates').where({ id: mandateId }).first()
    assert.equal(mandate.revoked_at, null)
  })

  it('verifies, changes the legal representative and revokes a mandate, all audited', async () => {
    const county = api(server, countyToken)
    const id = enterprises['230102'].id
    assert.equal((await county.post(`/enterprises/${id}/verify`, { evidence: '营业执照原件核验' })).status, 200)
    const changed = await county.post(`/enterprises/${id}/legal-representative`, { login: newRep.phone, evidence: '市场监管局变更登记通知书 2026-118' })
    assert.equal(changed.status, 200, JSON.stringify(changed.body))
    assert.equal(changed.body.legalRepresentative.id, newRep.id)
    const revoked = await county.post(`/enterprises/${id}/mandates/${mandateId}/revoke`, { reason: '法定代表人变更，原授权收回' })
    assert.equal(revoked.status, 200)
    assert.equal(revoked.body.mandates[0].active, false)
    assert.equal((await county.post(`/enterprises/${id}/mandates/${mandateId}/revoke`, { reason: 'twice is not found' })).status, 404)
    const types = await server.onedoor.db('audit_events').where({ division_code: '230102' }).pluck('type')
    for (const t of ['admin.enterprise.verified', 'admin.enterprise.representative_changed', 'admin.mandate.revoked']) assert.ok(types.includes(t), t)
  })

  it('shows its own enterprise in the console and answers 403 for another county', async () => {
    const agent = new UserAgent()
    const { callbackUrl } = await signInThroughPages(agent, new URL(`${server.url}/admin/login`), `${server.url}/admin/callback`, { identifier: countyAdmin.idNumber, password: countyAdmin.password })
    await agent.get(callbackUrl.toString())
    const own = await agent.get(`${server.url}/admin/enterprises/${enterprises['230102'].id}`)
    assert.equal(own.status, 200)
    assert.ok(own.body.includes('哈尔滨某某有限公司 230102'))
    const other = await agent.get(`${server.url}/admin/enterprises/${enterprises['230103'].id}`)
    assert.equal(other.status, 403)
    assert.ok(!other.body.includes('哈尔滨某某有限公司 230103'))
  })

  it('rejects bad input with 4xx and changes nothing', async () => {
    const county = api(server, countyToken)
    const id = enterprises['230102'].id
    const before = await server.onedoor.db('enterprises').where({ id }).first()
    for (const res of [
      await county.post('/enterprises/search', { uscc: 'ABC' }),
      await county.post(`/enterprises/${id}/verify`, {}),
      await county.post(`/enterprises/${id}/legal-representative`, { login: '13000000000', evidence: 'unknown person' }),
      await county.post(`/enterprises/${id}/legal-representative`, { login: newRep.phone }),
      await county.post(`/enterprises/${id}/mandates/nope/revoke`, { reason: 'no such mandate' }),
      await county.get('/enterprises/nope'),
    ]) {
      assert.ok(res.status >= 400 && res.status < 500, `${res.status}`)
      assert.equal(typeof res.body.error, 'string')
    }
    assert.deepEqual(await server.onedoor.db('enterprises').where({ id }).first(), before)
  })
})
