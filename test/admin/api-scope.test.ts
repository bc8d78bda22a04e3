/*
 * Threat: an administrator reads or changes data outside their division, escalates their own
 * privileges, or a role crosses the separation of duties (等保 level 3). Every admin API call is
 * checked by can() against the target's division (issue 5).
 */
import assert from 'node:assert/strict'
import type { TestServer } from '../helpers/onedoor.js'
import { randomIdNumber } from '../helpers/onedoor.js'
import { addAdmin, addSystem, adminToken, api, startAdminServer, type TestAdmin } from './admin-helpers.js'

describe('admin API: division scope and separation of duties', function () {
  this.timeout(120_000)
  let server: TestServer
  const tokens: Record<string, string> = {}
  const admins: Record<string, TestAdmin> = {}
  const systems: Record<string, { clientId: string; clientSecret?: string }> = {}
  const persons: Record<string, { id: string; idNumber: string; phone: string }> = {}

  before(async () => {
    server = await startAdminServer()
    const roles: [string, string, string][] = [
      ['county', 'county_admin', '230102'],
      ['prefecture', 'prefecture_admin', '230100'],
      ['auditor', 'auditor', '230000'],
      ['operator', 'operator', '230000'],
      ['clerk', 'counter_clerk', '230102'],
    ]
    for (const [key, role, division] of roles) {
      admins[key] = await addAdmin(server, role, division)
      tokens[key] = await adminToken(server, admins[key])
    }
    for (const division of ['230102', '230103', '230202']) systems[division] = await addSystem(server, division)
    for (const area of ['230102', '230103']) {
      const p = await server.addPerson({ name: '李小明', idNumber: randomIdNumber(area) })
      persons[area] = p
    }
  })
  after(() => server.close())

  const countRows = async (table: string) => Number((await server.onedoor.db(table).count({ n: '*' }).first())?.n)

  describe('a county administrator of 230102', () => {
    it('lists only the systems of 230102', async () => {
      const res = await api(server, tokens.county).get('/clients')
      assert.equal(res.status, 200)
      const divisions = res.body.clients.map((c: { divisionCode: string }) => c.divisionCode)
      assert.deepEqual([...new Set(divisions)], ['230102'])
    })

    it("gets 403 for every read and write of 230103's system", async () => {
      const county = api(server, tokens.county)
      const id = systems['230103'].clientId
      const before = await server.onedoor.db('clients').where({ client_id: id }).first()
      for (const res of [
        await county.get(`/clients/${id}`),
        await county.get(`/clients/${id}/health`),
        await county.get('/clients?division=230103'),
        await county.patch(`/clients/${id}`, { name: 'taken over' }),
        await county.post(`/clients/${id}/suspend`),
        await county.post(`/clients/${id}/rotate-secret`),
      ]) {
        assert.equal(res.status, 403)
        assert.equal(res.body.error, 'ADMIN_FORBIDDEN')
      }
      assert.deepEqual(await server.onedoor.db('clients').where({ client_id: id }).first(), before)
    })

    it("gets 403 for 230103's accounts, and does not find them by search", async () => {
      const county = api(server, tokens.county)
      const id = persons['230103'].id
      for (const res of [
        await county.get(`/persons/${id}`),
        await county.post(`/persons/${id}/disable`, { reason: 'not mine to disable' }),
        await county.post(`/persons/${id}/reveal-id-number`, { reason: 'curiosity here' }),
        await county.post(`/persons/${id}/counter-verification`, { evidence: 'ID card seen' }),
      ]) {
        assert.equal(res.status, 403)
        assert.equal(res.body.error, 'ADMIN_FORBIDDEN')
      }
      const search = await county.post('/persons/search', { q: persons['230103'].idNumber })
      assert.deepEqual(search.body.persons, [])
      const row = await server.onedoor.db('persons').where({ id }).first()
      assert.equal(row.disabled_at, null)
      assert.equal(Number(row.assurance_level), 1)
    })

    it('finds its own residents by ID number or phone, masked', async () => {
      const county = api(server, tokens.county)
      const own = persons['230102']
      for (const q of [own.idNumber, own.phone]) {
        const res = await county.post('/persons/search', { q })
        assert.equal(res.status, 200)
        assert.equal(res.body.persons.length, 1)
        const [p] = res.body.persons
        assert.equal(p.id, own.id)
        assert.equal(p.idNumber, `${own.idNumber.slice(0, 4)}**********${own.idNumber.slice(-4)}`)
        assert.equal(p.phone, `${own.phone.slice(0, 3)}****${own.phone.slice(-4)}`)
        assert.equal(p.name, '李**')
        assert.ok(!JSON.stringify(res.body).includes(own.idNumber))
      }
    })

    it('edits its own system, and the change is in the audit trail with who and where', async () => {
      const id = systems['230102'].clientId
      const res = await api(server, tokens.county).patch(`/clients/${id}`, { redirectUris: ['https://portal-230102.example.gov.cn/cb2'], allowedScopes: ['profile'] })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.deepEqual(res.body.redirectUris, ['https://portal-230102.example.gov.cn/cb2'])
      assert.deepEqual(res.body.allowedScopes, ['openid', 'profile'])
      const record = await server.onedoor.db('audit_events').where({ type: 'admin.client.updated', target_id: id }).first()
      assert.equal(record.actor_id, admins.county.personId)
      assert.equal(record.division_code, '230102')
      assert.ok(record.ip)
    })

    it('keeps both of two edits of different fields made at the same moment', async () => {
      const id = systems['230102'].clientId
      const [redirects, logout] = await Promise.all([
        api(server, tokens.county).patch(`/clients/${id}`, { redirectUris: ['https://portal-230102.example.gov.cn/cb3'] }),
        api(server, tokens.prefecture).patch(`/clients/${id}`, { postLogoutRedirectUris: ['https://portal-230102.example.gov.cn/bye'] }),
      ])
      assert.equal(redirects.status, 200, JSON.stringify(redirects.body))
      assert.equal(logout.status, 200, JSON.stringify(logout.body))
      const after = await api(server, tokens.county).get(`/clients/${id}`)
      assert.deepEqual(after.body.redirectUris, ['https://portal-230102.example.gov.cn/cb3'], 'the first edit is kept')
      assert.deepEqual(after.body.postLogoutRedirectUris, ['https://portal-230102.example.gov.cn/bye'], 'the second edit is kept')
    })

    it('records a home division set twice at the same moment once, without an error', async () => {
      const store = server.onedoor.services.adminStore
      const db = server.onedoor.db
      const person = await server.addPerson({ idNumber: randomIdNumber('230102') })
      await Promise.all(['230102', '230103'].map((code) => db.transaction((trx) => store.setPersonDivision(person.id, code, admins.county.personId, trx))))
      const rows = await db('person_divisions').where({ person_id: person.id })
      assert.equal(rows.length, 1)
      assert.ok(['230102', '230103'].includes(rows[0].division_code))
    })

    it('rotates its own system secret: the new one works, the old one no longer does', async () => {
      const id = systems['230102'].clientId
      const res = await api(server, tokens.county).post(`/clients/${id}/rotate-secret`)
      assert.equal(res.status, 200)
      const token = (secret: string) => fetch(`${server.url}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })
      server.onedoor.services.clients.invalidate(id)
      assert.equal((await token(res.body.clientSecret)).status, 200)
      assert.equal((await token(systems['230102'].clientSecret!)).status, 401)
    })

    it('reveals a full ID number only with a reason, and records the reveal without the number', async () => {
      const own = persons['230102']
      const county = api(server, tokens.county)
      const bad = await county.post(`/persons/${own.id}/reveal-id-number`, {})
      assert.equal(bad.status, 400)
      const res = await county.post(`/persons/${own.id}/reveal-id-number`, { reason: '窗口业务核对 #1024' })
      assert.equal(res.status, 200)
      assert.equal(res.body.idNumber, own.idNumber)
      const record = await server.onedoor.db('audit_events').where({ type: 'admin.person.id_number_revealed', target_id: own.id }).first()
      assert.ok(record)
      assert.equal(JSON.parse(record.details).reason, '窗口业务核对 #1024')
      const trail = JSON.stringify(await server.onedoor.db('audit_events').select())
      assert.ok(!trail.includes(own.idNumber), 'no full ID number anywhere in the audit trail')
    })
  })

  describe('escalation', () => {
    it('refuses a prefecture administrator creating a province administrator', async () => {
      const before = await countRows('admins')
      const res = await api(server, tokens.prefecture).post('/admins', { login: persons['230102'].phone, role: 'province_admin', divisionCode: '230000' })
      assert.equal(res.status, 403)
      assert.equal(res.body.error, 'ADMIN_FORBIDDEN')
      assert.equal(await countRows('admins'), before)
    })

    it("refuses a prefecture administrator editing another prefecture's system", async () => {
      const res = await api(server, tokens.prefecture).patch(`/clients/${systems['230202'].clientId}`, { name: 'Qiqihar, taken over' })
      assert.equal(res.status, 403)
      const row = await server.onedoor.db('clients').where({ client_id: systems['230202'].clientId }).first()
      assert.notEqual(row.name, 'Qiqihar, taken over')
    })

    it('lets a prefecture administrator delegate a county role inside its prefecture', async () => {
      const res = await api(server, tokens.prefecture).post('/admins', { login: persons['230102'].phone, role: 'county_admin', divisionCode: '230102' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const refused = await api(server, tokens.prefecture).post('/admins', { login: persons['230103'].phone, role: 'county_admin', divisionCode: '230202' })
      assert.equal(refused.status, 403)
    })

    it('refuses a county administrator making itself a prefecture administrator', async () => {
      const res = await api(server, tokens.county).post('/admins', { login: admins.county.idNumber, role: 'prefecture_admin', divisionCode: '230100' })
      assert.equal(res.status, 403)
    })
  })

  describe('separation of duties', () => {
    it('the auditor cannot change anything', async () => {
      const auditor = api(server, tokens.auditor)
      const sys = systems['230102'].clientId
      const person = persons['230102'].id
      const before = { clients: await countRows('clients'), admins: await countRows('admins') }
      const attempts = [
        await auditor.post('/clients', { name: 'x', divisionCode: '230102', redirectUris: ['https://x.example.gov.cn/cb'] }),
        await auditor.patch(`/clients/${sys}`, { name: 'changed by auditor' }),
        await auditor.post(`/clients/${sys}/suspend`),
        await auditor.post(`/clients/${sys}/rotate-secret`),
        await auditor.post(`/persons/${person}/disable`, { reason: 'auditor tries' }),
        await auditor.post(`/persons/${person}/end-sessions`, { reason: 'auditor tries' }),
        await auditor.post(`/persons/${person}/counter-verification`, { evidence: 'auditor tries' }),
        await auditor.post(`/persons/${person}/reveal-id-number`, { reason: 'auditor tries' }),
        await auditor.post('/admins', { login: persons['230102'].phone, role: 'auditor', divisionCode: '230102' }),
      ]
      for (const res of attempts) assert.equal(res.status, 403, JSON.stringify(res.body))
      assert.deepEqual({ clients: await countRows('clients'), admins: await countRows('admins') }, before)
    })

    it('the auditor reads and exports the trail, including the refusals', async () => {
      const auditor = api(server, tokens.auditor)
      const res = await auditor.get('/audit?type=admin.access.denied&limit=1000')
      assert.equal(res.status, 200)
      assert.ok(res.body.records.length >= 9)
      const csv = await auditor.get('/audit?format=csv')
      assert.equal(csv.status, 200)
      assert.match(csv.body, /^seq,at,type,/)
      assert.ok(csv.body.includes('admin.client.updated'))
    })

    it('the operator cannot read the audit trail', async () => {
      const operator = api(server, tokens.operator)
      assert.equal((await operator.get('/audit')).status, 403)
      assert.equal((await operator.get('/audit?format=csv')).status, 403)
      assert.equal((await operator.get('/clients')).status, 200)
    })

    it('the counter clerk verifies a resident in person but cannot reveal the ID number', async () => {
      const clerk = api(server, tokens.clerk)
      const own = persons['230102']
      const res = await clerk.post(`/persons/${own.id}/counter-verification`, { evidence: '居民身份证原件核验，卡号末四位 1230' })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.assuranceLevel, 2)
      assert.equal((await clerk.post(`/persons/${own.id}/reveal-id-number`, { reason: 'clerk wants it' })).status, 403)
      const evidence = await server.onedoor.db('person_verifications').where({ person_id: own.id }).first()
      assert.equal(evidence.verified_by, admins.clerk.personId)
    })
  })

  describe('authentication', () => {
    it('answers 401 without a token, with a garbage token, and with an ordinary portal token', async () => {
      assert.equal((await api(server, undefined).get('/clients')).status, 401)
      assert.equal((await api(server, 'not.a.token').get('/clients')).status, 401)
      const sys = systems['230202']
      const cc = await fetch(`${server.url}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${sys.clientId}:${sys.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })
      const portalToken = ((await cc.json()) as { access_token: string }).access_token
      const res = await api(server, portalToken).get('/clients')
      assert.equal(res.status, 401)
      assert.equal(res.body.error, 'ADMIN_UNAUTHENTICATED')
    })

    it('refuses a portal asking for the admin resource', async () => {
      const sys = systems['230202']
      const cc = await fetch(`${server.url}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${sys.clientId}:${sys.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${server.url}/admin/api` }) })
      assert.equal(cc.status, 400)
      assert.equal(((await cc.json()) as { error: string }).error, 'invalid_target')
    })

    it('serves the OpenAPI document generated from the request schemas', async () => {
      const res = await api(server, undefined).get('/openapi.json')
      assert.equal(res.status, 200)
      assert.equal(res.body.openapi, '3.1.0')
      assert.ok(res.body.paths['/clients'].post)
      assert.equal(res.body.components.schemas.ClientCreateInput.properties.redirectUris.type, 'array')
      assert.ok(res.body.components.schemas.AdminGrantInput.properties.role.enum.includes('county_admin'))
    })
  })
})
