/*
 * Provider and sign-in events reach the audit trail through the admin wiring's sink, written in
 * the background so a token request never waits on (or fails with) its record. Threats: a
 * graceful shutdown closing the pool under writes still running (records lost), and a record that
 * cannot be written taking the process down or vanishing without a trace in the logs.
 */
import assert from 'node:assert/strict'
import pino from 'pino'
import { createAdminWiring } from '../../src/admin/wiring.js'
import { createServices } from '../../src/app.js'
import type { AuditEvent } from '../../src/audit/index.js'
import { createRenderer } from '../../src/http/render.js'
import { migrateLatest } from '../../src/store/db.js'
import { useTestDb } from '../helpers/database.js'
import { countDurableRows } from '../helpers/durable-counts.js'
import { logLineSink, testConfig } from '../helpers/onedoor.js'

function tokenIssued(n: number): AuditEvent {
  return { type: 'oidc.token.issued', actor: { type: 'client', id: null, clientId: `portal${n}`, ip: '127.0.0.1' }, divisionCode: '230102', details: { grantType: 'client_credentials', n } }
}

describe('audit sink: background writes', () => {
  const env = useTestDb()

  async function wiring() {
    await migrateLatest(env.db)
    const config = testConfig(env.database, 3000)
    const services = createServices(config, env.db)
    const lines: string[] = []
    const logger = pino({ level: 'info' }, logLineSink(lines))
    const admin = createAdminWiring({ config, logger, renderer: await createRenderer(), services })
    return { admin, lines, db: env.db }
  }

  it('drain waits for every write started, those started while it waits included', async () => {
    const { admin, db } = await wiring()
    await admin.drain() // nothing pending: settles at once
    const before = (await countDurableRows(db)).auditEvents
    for (let n = 0; n < 25; n += 1) admin.sink(tokenIssued(n))
    const drained = admin.drain()
    for (let n = 25; n < 30; n += 1) admin.sink(tokenIssued(n))
    await drained
    const after = (await countDurableRows(db)).auditEvents
    assert.equal(after - before, 30, 'every record written by the time drain settles')
  })

  it('logs a record it cannot write, keeps the others, and still drains', async () => {
    const { admin, lines, db } = await wiring()
    const before = (await countDurableRows(db)).auditEvents
    admin.sink(tokenIssued(1))
    admin.sink({ ...tokenIssued(2), type: 'not.in.the.catalogue' } as unknown as AuditEvent)
    admin.sink(tokenIssued(3))
    await admin.drain()
    const after = (await countDurableRows(db)).auditEvents
    assert.equal(after - before, 2)
    const failures = lines.map((line) => JSON.parse(line) as { msg: string; type?: string; level: number }).filter((l) => l.msg === 'could not record audit event')
    assert.deepEqual(
      failures.map((f) => [f.type, f.level]),
      [['not.in.the.catalogue', 50]],
    )
    assert.equal((await db('audit_events').where({ type: 'not.in.the.catalogue' })).length, 0)
  })
})
