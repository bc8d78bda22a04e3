/*
 * The dashboard's rollups (issue 6: province scale) keep its numbers right: persons by home
 * division, assurance level and second factor follow registrations, counter verifications, TOTP
 * enrolment and recorded divisions once refreshed (and say "as of" when); sign-in figures are
 * exact whether or not the events have been folded yet; every figure is scoped to the viewer's
 * division. Each figure is checked against a count over the raw tables.
 */
import assert from 'node:assert/strict'
import type { TFunction } from 'i18next'
import { createDashboard } from '../../src/admin/dashboard.js'
import { shapeScope } from '../../src/admin/scope.js'
import { createDashboardStore } from '../../src/store/dashboard.js'
import { enrolTotp, verifyAtCounter } from '../helpers/assurance.js'
import { randomIdNumber, type TestServer } from '../helpers/onedoor.js'
import { discover, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addSystem, startAdminServer } from './admin-helpers.js'

const t = ((key: string) => key) as unknown as TFunction

describe('dashboard rollups', function () {
  this.timeout(120_000)
  let server: TestServer
  let dashboard: ReturnType<typeof createDashboard>
  const store = () => createDashboardStore(server.onedoor.db)
  const totals = async (division: string) => (await dashboard.charts(division, t)).totals
  const count = async (query: PromiseLike<unknown>) => Number(((await query) as { n: unknown } | undefined)?.n ?? 0)

  before(async () => {
    server = await startAdminServer()
    // Person counts recomputed on every refresh (the default waits ten minutes between passes).
    dashboard = createDashboard({ store: createDashboardStore(server.onedoor.db), scope: shapeScope, personsMaxAgeSeconds: 0 })
  })
  after(() => server.close())

  it('counts persons by home division, level and second factor as of the last refresh', async () => {
    const first = await dashboard.charts('230000', t)
    assert.match(first.personsAsOf ?? '', /^\d\d:\d\d$/, 'the first view fills the rollups and says when')
    const before = { province: await totals('230000'), harbin: await totals('230100'), qiqihar: await totals('230200'), county: await totals('230102') }
    const levelsBefore = await store().assuranceLevels(['2301'])

    const a = await server.addPerson({ idNumber: randomIdNumber('230102') })
    const b = await server.addPerson({ idNumber: randomIdNumber('230103') })
    const c = await server.addPerson({ idNumber: randomIdNumber('230202') })
    assert.equal((await totals('230000')).persons, before.province.persons, 'unchanged until the next refresh (documented staleness)')

    await dashboard.refresh()
    assert.equal((await totals('230000')).persons, before.province.persons + 3)
    assert.equal((await totals('230000')).persons, await count(server.onedoor.db('persons').count({ n: '*' }).first()), 'equals a count over persons')
    assert.equal((await totals('230000')).registrations, before.province.registrations + 3)
    assert.equal((await totals('230100')).persons, before.harbin.persons + 2)
    assert.equal((await totals('230100')).registrations, before.harbin.registrations + 2)
    assert.equal((await totals('230200')).persons, before.qiqihar.persons + 1)
    assert.equal((await totals('230102')).persons, before.county.persons, 'a county counts recorded home divisions only')

    await verifyAtCounter(server, a.id)
    await enrolTotp(server, b.id)
    await server.onedoor.services.adminStore.setPersonDivision(c.id, '230102', 'test')
    await dashboard.refresh()
    const levelOf = (rows: { level: number; n: number }[], level: number) => rows.find((r) => r.level === level)?.n ?? 0
    const levelsAfter = await store().assuranceLevels(['2301'])
    assert.equal(levelOf(levelsAfter, 2), levelOf(levelsBefore, 2) + 1, 'the counter verification moved one person to level 2')
    assert.equal(levelOf(levelsAfter, 1), levelOf(levelsBefore, 1) + 2)
    assert.equal((await totals('230100')).mfaEnrolled, before.harbin.mfaEnrolled + 1)
    assert.equal((await totals('230100')).mfaEnrolled, await count(server.onedoor.db('totp_credentials').count({ n: '*' }).first()))
    assert.equal((await totals('230200')).mfaEnrolled, before.qiqihar.mfaEnrolled)
    assert.equal((await totals('230102')).persons, before.county.persons + 1, 'the recorded division moves the person into the county')
    assert.equal((await totals('230100')).persons, before.harbin.persons + 3)
    assert.equal((await totals('230200')).persons, before.qiqihar.persons, '…and out of the prefecture of the ID number')
    assert.equal((await totals('230000')).persons, before.province.persons + 3)
  })

  it('counts sign-ins, failures and portals exactly before and after folding, scoped by the portal division', async () => {
    await dashboard.refresh()
    const before = { province: await dashboard.charts('230000', t), harbin: await totals('230100'), county: await totals('230103'), other: await totals('230102'), qiqihar: await totals('230200') }
    const harbinSystem = await addSystem(server, '230103', '哈尔滨门户')
    const qiqiharSystem = await addSystem(server, '230202', '齐齐哈尔门户')
    const person = await server.addPerson()
    const signIn = async (system: { clientId: string; clientSecret?: string }, division: string, wrongFirst = false) => {
      const redirectUri = `https://portal-${division}.example.gov.cn/callback`
      const start = await startAuthorization(await discover(server.url, system.clientId, system.clientSecret), { redirect_uri: redirectUri })
      const agent = new UserAgent()
      if (wrongFirst) await agent.submit(await agent.get(start.url.toString()), '/login', { identifier: person.phone, password: 'wrong password here' })
      await signInThroughPages(agent, start.url, redirectUri, { identifier: person.phone, password: person.password })
    }
    await signIn(harbinSystem, '230103', true)
    await signIn(harbinSystem, '230103')
    await signIn(qiqiharSystem, '230202')
    // Sign-in events are written in the background: wait until all seven are in (3 succeeded, 1 failed, 3 accepted).
    const events = () => server.onedoor.db('audit_events').whereIn('client_id', [harbinSystem.clientId, qiqiharSystem.clientId]).whereIn('type', ['auth.login.succeeded', 'auth.login.failed', 'oidc.authorization.accepted'])
    for (let i = 0; i < 200 && (await count(events().count({ n: '*' }).first())) < 7; i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal(await count(events().count({ n: '*' }).first()), 7)

    const portalCount = async (clientId: string) => count(server.onedoor.db('audit_events').where({ client_id: clientId }).whereIn('type', ['auth.login.succeeded', 'oidc.authorization.accepted']).count({ n: '*' }).first())
    const expectFigures = async (when: string) => {
      assert.equal((await totals('230100')).signIns, before.harbin.signIns + 2, when)
      assert.equal((await totals('230100')).failed, before.harbin.failed + 1, when)
      assert.equal((await totals('230103')).signIns, before.county.signIns + 2, when)
      assert.equal((await totals('230102')).signIns, before.other.signIns, `${when}: another county sees none`)
      assert.equal((await totals('230200')).signIns, before.qiqihar.signIns + 1, when)
      assert.equal((await totals('230200')).failed, before.qiqihar.failed, when)
      const province = await dashboard.charts('230000', t)
      assert.equal(province.totals.signIns, before.province.totals.signIns + 3, when)
      const portals = await store().eventFigures({ sinceDay: 0, portalsSinceDay: 0, portalTypes: ['oidc.authorization.accepted', 'auth.login.succeeded'], limit: 10 }, ['2301'])
      const harbin = portals.portals.find((p) => p.clientId === harbinSystem.clientId)
      assert.equal(harbin?.name, '哈尔滨门户', when)
      assert.equal(harbin?.n, await portalCount(harbinSystem.clientId), `${when}: equals a count over the audit trail`)
      assert.equal(portals.portals.find((p) => p.clientId === qiqiharSystem.clientId), undefined, `${when}: a portal of another prefecture is not listed`)
      assert.ok(province.portals.includes('齐齐哈尔门户'), when)
    }
    await expectFigures('not folded yet (read live)')
    // Two nodes refreshing at once: one folds (the other skips on the lock, or finds nothing left), nothing counts twice.
    const runs = await Promise.all([dashboard.refresh(), createDashboard({ store: store(), scope: shapeScope, personsMaxAgeSeconds: 0 }).refresh()])
    assert.ok(runs.some((run) => run && run.folded > 0), 'a refresh folded the new events')
    await expectFigures('folded into the rollup')
    assert.equal((await dashboard.refresh())?.folded, 0, 'folding twice adds nothing')
    await expectFigures('after a second refresh')
  })
})
