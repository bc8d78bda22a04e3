/*
 * The logout queue under several server processes: a queued delivery is claimed by exactly one
 * process per attempt (FOR UPDATE SKIP LOCKED on PostgreSQL, guarded updates on SQLite), so two
 * retry jobs on one database never send the same token twice at once; finished rows are purged.
 */
import assert from 'node:assert/strict'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { nextAttemptAt, type QueuedDelivery } from '../../src/logout/index.js'
import { createDb, type Db } from '../../src/store/db.js'
import { createLogoutQueueStore } from '../../src/store/logout-queue.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addPortal, closePortals, logoutAt, signInAt, signInWithoutCredentials, type Portal } from './slo-helpers.js'

const DAY_MS = 86_400_000

describe('single logout: the retry queue with several server processes', () => {
  let server: TestServer
  let second: OneDoor
  const handles: Db[] = []
  const portals: Portal[] = []

  before(async () => {
    server = await startOneDoor({ overrides: { backchannelLogout: { timeoutMs: 5000, userWaitMs: 300, retry: { intervalSeconds: 3600, batchSize: 7 } } } })
    // A second server process on the same database (not listening: it only runs the job).
    second = await createOneDoor(server.config)
  })
  after(async () => {
    await closePortals(portals)
    await second?.close(0)
    for (const db of handles) await db.destroy()
    await server?.close()
  })

  it('claims each due delivery for exactly one process', async () => {
    const [a, b] = [createDb(server.config.db), createDb(server.config.db)]
    handles.push(a, b)
    const [storeA, storeB] = [createLogoutQueueStore(a), createLogoutQueueStore(b)]
    const now = Date.now()
    const deliveries: QueuedDelivery[] = Array.from({ length: 60 }, (_, i) => ({ id: `claim-test-${i}`, clientId: `client-${i % 6}`, accountId: 'acct-claim', reason: 'rp_logout', attempts: 1 }))
    await storeA.enqueue(deliveries, { now, leaseUntil: now })

    const claimedBy = new Map<string, number>()
    for (let round = 0; round < 20; round += 1) {
      const lease = { now: now + 1, leaseUntil: now + DAY_MS, limit: 7 }
      const [fromA, fromB] = await Promise.all([storeA.claimDue(lease), storeB.claimDue(lease)])
      for (const d of [...fromA, ...fromB]) claimedBy.set(d.id, (claimedBy.get(d.id) ?? 0) + 1)
      if (fromA.length + fromB.length === 0) break
    }
    assert.equal(claimedBy.size, 60, 'every delivery was claimed')
    assert.ok([...claimedBy.values()].every((n) => n === 1), 'and none twice')
    const after = await storeA.list({ accountId: 'acct-claim' })
    assert.ok(after.every((d) => d.attempts === 2 && d.nextAttemptAt === now + DAY_MS), 'each claim counts an attempt and leases the row')
  })

  it('delivers every queued token once when two processes run the retry job together', async () => {
    const person = await server.addPerson({ name: '周九' })
    const list = await Promise.all(['Qiqihar', 'Longsha', 'Jianhua', 'Tiefeng', 'Ang-angxi', 'Fularji', 'Nianzishan', 'Meilisi'].map((name) => addPortal(server, name)))
    portals.push(...list)
    const agent = new UserAgent()
    const [first] = [await signInAt(agent, list[0], person)]
    for (const portal of list.slice(1)) await signInWithoutCredentials(agent, portal)
    for (const portal of list) await portal.receiver.down()

    await logoutAt(agent, list[0], first.tokens.id_token!)
    await server.onedoor.logout.drain()
    assert.equal((await server.onedoor.logout.deliveries({ accountId: person.id, status: 'pending' })).length, 8)

    for (const portal of list) await portal.receiver.up()
    const due = Date.now() + 3_600_000 // after the backoff; before the leases of the previous test's rows end
    const runs = await Promise.all([server.onedoor.logout.runRetries({ now: due }), second.logout.runRetries({ now: due })])
    const more = await Promise.all([server.onedoor.logout.runRetries({ now: due }), second.logout.runRetries({ now: due })])
    const claimed = [...runs, ...more].reduce((n, r) => n + r.claimed, 0)
    assert.equal(claimed, 8, 'eight claims in all (batches of 7 split across the processes)')
    for (const portal of list) assert.equal(portal.receiver.tokens.length, 1, `${portal.name} received exactly one token`)
    const rows = await server.onedoor.logout.deliveries({ accountId: person.id })
    assert.ok(rows.every((r) => r.status === 'delivered' && r.attempts === 2))
  })

  it('purges finished rows after the retention period, keeping the attempt log', async () => {
    const store = createLogoutQueueStore(server.onedoor.db)
    const now = Date.now()
    await store.enqueue([{ id: 'purge-me', clientId: 'client-p', accountId: 'acct-purge', reason: 'provider', attempts: 1 }], { now: now - 30 * DAY_MS, leaseUntil: now })
    await store.recordOutcomes([{ delivery: { id: 'purge-me', clientId: 'client-p', accountId: 'acct-purge', reason: 'provider', attempts: 1 }, result: 'delivered', durationMs: 3, at: now - 20 * DAY_MS }])
    assert.ok((await store.purgeFinished(now - 7 * DAY_MS)) >= 1)
    assert.equal((await store.list({ accountId: 'acct-purge' })).length, 0)
    assert.equal((await server.onedoor.db('logout_deliveries').where({ queue_id: 'purge-me' })).length, 1, 'the attempt stays recorded')
  })

  it('backs off exponentially up to the cap, then gives up', () => {
    const settings = { initialDelaySeconds: 10, maxDelaySeconds: 60, maxAttempts: 5 }
    assert.deepEqual([1, 2, 3, 4].map((n) => nextAttemptAt(n, 0, settings)), [10_000, 20_000, 40_000, 60_000])
    assert.equal(nextAttemptAt(5, 0, settings), undefined)
  })
})
