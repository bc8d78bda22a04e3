/*
 * Every admin API endpoint given bad input answers 4xx with an error body and writes nothing
 * (no client, admin, verification or person change; no half-written audit record).
 */
import assert from 'node:assert/strict'
import type { TestServer } from '../helpers/onedoor.js'
import { addAdmin, addSystem, adminToken, api, startAdminServer } from './admin-helpers.js'

describe('admin API: bad input', function () {
  this.timeout(120_000)
  let server: TestServer
  let token: string
  let clientId: string
  let personId: string

  before(async () => {
    server = await startAdminServer()
    const admin = await addAdmin(server, 'province_admin', '230000')
    token = await adminToken(server, admin)
    clientId = (await addSystem(server, '230102')).clientId
    personId = (await server.addPerson()).id
  })
  after(() => server.close())

  async function snapshot() {
    const db = server.onedoor.db
    return {
      clients: await db('clients').select().orderBy('client_id'),
      admins: await db('admins').count({ n: '*' }).first(),
      persons: await db('persons').select('id', 'disabled_at', 'assurance_level').orderBy('id'),
      verifications: await db('person_verifications').count({ n: '*' }).first(),
      audit: await db('audit_events').whereNot('type', 'admin.access.denied').count({ n: '*' }).first(),
    }
  }

  const cases: [string, string, unknown][] = [
    ['POST', '/clients', {}],
    ['POST', '/clients', { name: 'x', divisionCode: '2301', redirectUris: ['https://a.example/cb'] }],
    ['POST', '/clients', { name: 'x', divisionCode: '230102', redirectUris: ['javascript:alert(1)'] }],
    ['POST', '/clients', { name: 'x', divisionCode: '230102', redirectUris: [] }],
    ['POST', '/clients', { name: '', divisionCode: '230102', redirectUris: ['https://a.example/cb'] }],
    ['POST', '/clients', { name: 'x', divisionCode: '230102', redirectUris: ['https://a.example/cb'], extra: true }],
    ['POST', '/clients', { name: 'x', divisionCode: '230102', redirectUris: ['https://a.example/cb#fragment'] }],
    ['POST', '/clients', { name: 'x', divisionCode: '230102', redirectUris: ['https://a.example/cb'], allowedScopes: ['Not A Scope'] }],
    ['PATCH', '/clients/:client', {}],
    ['PATCH', '/clients/:client', { redirectUris: 'https://a.example/cb' }],
    ['PATCH', '/clients/:client', { backchannelLogoutUri: 'ftp://x' }],
    ['POST', '/persons/search', {}],
    ['POST', '/persons/search', { q: 'x'.repeat(101) }],
    ['POST', '/persons/search', { q: '张\u0000三' }],
    ['POST', '/clients', { name: 'a\u0000b', divisionCode: '230102', redirectUris: ['https://a.example/cb'] }],
    ['PATCH', '/clients/:client', { name: 'a\u0000b' }],
    ['POST', '/persons/:person/disable', {}],
    ['POST', '/persons/:person/disable', { reason: 'no' }],
    ['POST', '/persons/:person/enable', { reason: 42 }],
    ['POST', '/persons/:person/end-sessions', { reason: '' }],
    ['POST', '/persons/:person/reveal-id-number', {}],
    ['POST', '/persons/:person/counter-verification', { evidence: '' }],
    ['POST', '/persons/:person/counter-verification', { evidence: 'ID card seen', method: 'telepathy' }],
    ['POST', '/admins', {}],
    ['POST', '/admins', { login: '13900000000', role: 'superuser', divisionCode: '230000' }],
    ['POST', '/admins', { login: '13900000000', role: 'county_admin', divisionCode: 'abc' }],
    ['POST', '/admins', { login: '13900000000', role: 'county_admin', divisionCode: '230000' }],
    ['POST', '/admins', { login: '13999999999', role: 'county_admin', divisionCode: '230102' }],
  ]

  for (const [method, path, body] of cases) {
    it(`rejects ${method} ${path} ${JSON.stringify(body).slice(0, 80)}`, async () => {
      const before = await snapshot()
      const url = path.replace(':client', clientId).replace(':person', personId)
      const client = api(server, token)
      const res = method === 'PATCH' ? await client.patch(url, body) : await client.post(url, body)
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${JSON.stringify(res.body)}`)
      assert.equal(typeof res.body.error, 'string')
      assert.equal(typeof res.body.error_description, 'string')
      assert.deepEqual(await snapshot(), before)
    })
  }

  it('rejects malformed JSON, unknown ids and bad query strings with 4xx JSON', async () => {
    const before = await snapshot()
    const client = api(server, token)
    for (const res of [
      await client.raw('POST', '/clients', '{"name": '),
      await client.raw('PATCH', `/clients/${clientId}`, 'not json'),
      await client.get('/clients/no-such-client'),
      await client.get('/persons/no-such-person'),
      await client.post('/clients/no-such-client/suspend'),
      await client.get('/clients?division=23'),
      await client.get('/clients?unknown=1'),
      await client.get('/audit?from=yesterday'),
      await client.get('/nothing-here'),
    ]) {
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${JSON.stringify(res.body)}`)
      assert.equal(typeof res.body.error, 'string')
    }
    assert.deepEqual(await snapshot(), before)
  })
})
