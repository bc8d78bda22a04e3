/*
 * Jobs that several nodes (or a cron job on every host) may run at the same moment on one
 * PostgreSQL database (issue 6): each must do its work once, with database locking and no
 * coordinator of our own. Logout retries are covered by test/federation/slo-queue.test.ts and
 * the drills in cluster.test.ts; this file covers start-up and audit archival.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { createAuditServices } from '../../src/admin/wiring.js'
import type { AuditEvent } from '../../src/audit/index.js'
import { createServices } from '../../src/app.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { createTestDatabase, testConfig, type TestDatabase } from '../helpers/onedoor.js'

const DAY = 86_400_000

describe('background jobs on one PostgreSQL database from several hosts (issue 6)', () => {
  let database: TestDatabase
  const handles: Db[] = []
  const host = () => {
    const db = createDb(testConfig(database, 0).db)
    handles.push(db)
    return db
  }

  before(() => {
    database = createTestDatabase()
  })
  after(async () => {
    for (const db of handles) await db.destroy()
    await database.drop()
  })

  it('migrates an empty schema and makes one key set when three hosts start at once', async () => {
    const config = testConfig(database, 0)
    const hosts = [host(), host(), host()]
    await Promise.all(hosts.map((db) => migrateLatest(db)))
    const created = await Promise.all(hosts.map((db) => createServices(config, db).keySet.ensureKeys()))
    assert.equal(created.reduce((a, b) => a + b, 0), 2 * config.keys.algorithms.length, 'an active and a next key per algorithm, made once')
    const keys = await hosts[0]('signing_keys').select('alg', 'state')
    for (const alg of config.keys.algorithms) {
      assert.deepEqual(keys.filter((k) => k.alg === alg).map((k) => k.state).sort(), ['active', 'next'], alg)
    }
  })

  it('archives old audit records once when two hosts run `audit archive` together', async () => {
    const config = testConfig(database, 0)
    const [a, b] = [createAuditServices(config, host()).audit, createAuditServices(config, host()).audit]
    const event = (n: number, at?: number): AuditEvent => ({ type: 'admin.client.updated', actor: { type: 'admin', id: `admin${n}` }, divisionCode: '230102', target: { type: 'client', id: `c${n}` }, details: { n }, at })
    for (let i = 1; i <= 3; i += 1) await a.record(event(i, Date.now() - 365 * DAY + i))
    for (let i = 4; i <= 5; i += 1) await a.record(event(i))
    const before = new Date(Date.now() - 200 * DAY)
    const files = ['a', 'b'].map((name) => path.join(database.dataDir, `archive-${name}.jsonl`))

    const results = await Promise.allSettled([a.archive(before, files[0]), b.archive(before, files[1])])
    const done = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    assert.equal(done.length, 1, 'one run archives')
    assert.equal((done[0] as PromiseFulfilledResult<{ count: number }>).value.count, 3)
    assert.equal(refused[0]?.reason?.code, 'AUDIT_NOTHING_TO_ARCHIVE', 'the other finds nothing left')
    assert.equal(files.filter((f) => existsSync(f)).length, 1, 'one archive file')
    const [db] = handles
    assert.equal(Number((await db('audit_archives').count({ n: '*' }).first())?.n), 1)
    assert.equal((await a.verify()).ok, true, 'the chain verifies from the new anchor')
  })
})
