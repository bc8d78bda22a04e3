/*
 * Threat: a gap or a fork in the audit chain under load. Token requests append through the
 * group-committed fast path (one statement on PostgreSQL, one synchronous transaction on SQLite)
 * while administrative changes append inside their own transactions, and on PostgreSQL several
 * OneDoor processes append to one chain. Every record must link to exactly one predecessor,
 * with consecutive seq, whatever the interleaving (issue 2 speed work, issue 5 audit trail).
 */
import assert from 'node:assert/strict'
import { createAudit, type Audit, type AuditEvent } from '../../src/audit/index.js'
import { createAuditStore } from '../../src/store/audit.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { createTestDatabase, testConfig, testDbKind, type TestDatabase } from '../helpers/onedoor.js'

function event(n: number): AuditEvent {
  return { type: 'oidc.token.issued', actor: { type: 'client', id: null, clientId: `client${n % 3}`, ip: '127.0.0.1' }, target: { type: 'client', id: `client${n % 3}` }, details: { grantType: 'client_credentials', n } }
}

describe('audit trail: concurrent appends', function () {
  this.timeout(60_000)
  let database: TestDatabase
  const dbs: Db[] = []

  beforeEach(async () => {
    database = createTestDatabase()
    const config = testConfig(database, 0)
    // A second pool stands for a second OneDoor process on the same database (PostgreSQL only:
    // SQLite is the single-node store, one process, one connection).
    for (let i = 0; i < (testDbKind() === 'pg' ? 2 : 1); i += 1) dbs.push(createDb(config.db))
    await migrateLatest(dbs[0])
  })
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.destroy()
    await database.drop()
  })

  it('keeps one unbroken chain when batched appends and in-transaction appends interleave', async () => {
    const audits: Audit[] = dbs.map((db) => createAudit({ store: createAuditStore(db), retentionDays: 180 }))
    const writes: Promise<unknown>[] = []
    let n = 0
    for (let round = 0; round < 20; round += 1) {
      for (const audit of audits) {
        for (let i = 0; i < 5; i += 1) writes.push(audit.record(event((n += 1))))
      }
      // An administrative change with its record, in one transaction, on the first process.
      const k = (n += 1)
      writes.push(dbs[0].transaction((trx) => audits[0].record(event(k), trx)))
    }
    const records = (await Promise.all(writes)) as { seq: number }[]
    const expected = 20 * (audits.length * 5 + 1)
    assert.equal(records.length, expected)
    assert.deepEqual(records.map((r) => r.seq).sort((a, b) => a - b), Array.from({ length: expected }, (_, i) => i + 1))
    const verified = await audits[0].verify()
    assert.equal(verified.ok, true, JSON.stringify(verified.problem))
    assert.equal(verified.checked, expected)
    const seqs = (await dbs[0]('audit_events').orderBy('seq').pluck('seq')).map(Number)
    assert.deepEqual(seqs, Array.from({ length: expected }, (_, i) => i + 1))
  })

  // PostgreSQL's batched append sends its rows as one JSON parameter: every character must reach
  // the table as it was hashed, or `audit verify` would report the record as edited.
  it('stores batched records exactly as hashed, whatever their text', async () => {
    const audit = createAudit({ store: createAuditStore(dbs[0]), retentionDays: 180 })
    const awkward = ['引号"与\\反斜杠', "it's\n新\t行", '表情 🚪 \u2028', '{"json":"in text"}', '']
    const events: AuditEvent[] = awkward.map((text, i) => ({ ...event(i), actor: { ...event(i).actor, userAgent: text || null }, target: { type: 'client', id: text || 'empty' }, details: { text, n: i } }))
    await Promise.all(events.map((e) => audit.record(e)))
    const rows = (await dbs[0]('audit_events').select('user_agent', 'target_id', 'details')).map((r) => ({ ...r, details: JSON.parse(r.details) as { text: string; n: number } }))
    rows.sort((a, b) => a.details.n - b.details.n)
    assert.deepEqual(rows.map((r) => [r.user_agent, r.target_id, r.details.text]), awkward.map((t) => [t || null, t || 'empty', t]))
    const verified = await audit.verify()
    assert.equal(verified.ok, true, JSON.stringify(verified.problem))
    assert.equal(verified.checked, awkward.length)
  })

  it('refuses a record that does not fit and still writes the rest of its batch', async () => {
    const audit = createAudit({ store: createAuditStore(dbs[0]), retentionDays: 180 })
    const tooLong: AuditEvent = { ...event(0), divisionCode: 'x'.repeat(40) }
    const results = await Promise.allSettled([audit.record(event(1)), audit.record(tooLong), audit.record(event(2)), audit.record(event(3))])
    // SQLite does not enforce varchar lengths; PostgreSQL refuses the record.
    const refused = results.filter((r) => r.status === 'rejected').length
    assert.equal(refused, testDbKind() === 'pg' ? 1 : 0)
    const verified = await audit.verify()
    assert.equal(verified.ok, true, JSON.stringify(verified.problem))
    assert.equal(verified.checked, 4 - refused)
  })
})
