/*
 * Threat: someone with database access rewrites history — edits a record, deletes one, or slips
 * a forged one in — to hide what an administrator did (issue 5, tamper-evident audit trail).
 * `onedoor audit verify` must name the first broken record and exit non-zero.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { recordHash } from '../../src/audit/hash.js'
import type { Audit, AuditEvent } from '../../src/audit/index.js'
import type { Db } from '../../src/store/db.js'
import { runCli } from '../helpers/cli.js'
import type { TestServer } from '../helpers/onedoor.js'
import { startAdminServer } from './admin-helpers.js'

const DAY = 86_400_000

function event(n: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return { type: 'admin.client.updated', actor: { type: 'admin', id: `admin${n}`, ip: '127.0.0.1' }, divisionCode: '230102', target: { type: 'client', id: `c${n}` }, details: { n }, ...extra }
}

describe('audit trail: hash chain', () => {
  let server: TestServer
  let audit: Audit
  let db: Db

  beforeEach(async () => {
    server = await startAdminServer()
    audit = server.onedoor.services.audit
    db = server.onedoor.db
    // The server records its own events (console client etc.); start from a clean trail.
    await db('audit_events').delete()
    await db('audit_chain_head').delete()
    for (let i = 1; i <= 6; i += 1) await audit.record(event(i))
  })
  afterEach(() => server.close())

  it('verifies an untouched chain, in the CLI too', async () => {
    const result = await audit.verify()
    assert.equal(result.ok, true)
    assert.equal(result.checked, 6)
    const cli = await runCli(server.database, ['audit', 'verify'])
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stdout, /intact: 6 records/)
  })

  it('names an edited record as altered (exit 1)', async () => {
    await db('audit_events').where({ seq: 3 }).update({ details: JSON.stringify({ n: 99 }) })
    const result = await audit.verify()
    assert.equal(result.ok, false)
    assert.deepEqual([result.problem?.seq, result.problem?.kind], [3, 'altered'])
    const cli = await runCli(server.database, ['audit', 'verify'])
    assert.equal(cli.code, 1)
    assert.match(cli.stderr, /record 3 \(altered\)/)
  })

  it('names a deleted record', async () => {
    await db('audit_events').where({ seq: 4 }).delete()
    const result = await audit.verify()
    assert.deepEqual([result.ok, result.problem?.seq, result.problem?.kind], [false, 5, 'deleted'])
    const cli = await runCli(server.database, ['audit', 'verify', '--json'])
    assert.equal(cli.code, 1)
    assert.equal(JSON.parse(cli.stdout).problem.kind, 'deleted')
  })

  it('notices the newest record deleted (the chain head remembers it)', async () => {
    await db('audit_events').where({ seq: 6 }).delete()
    const result = await audit.verify()
    assert.deepEqual([result.ok, result.problem?.seq, result.problem?.kind], [false, 6, 'deleted'])
  })

  it('names an inserted record even when the forger links and hashes it correctly', async () => {
    // Make room after record 3 (renumber 4..6 to 5..7), then insert a well-formed forgery as 4.
    await db('audit_events').where('seq', '>', 3).update({ seq: db.raw('-seq - 1') })
    await db('audit_events').where('seq', '<', 0).update({ seq: db.raw('-seq') })
    const prev = await db('audit_events').where({ seq: 3 }).first()
    const forged = { id: 'forged0000000000000000000', at: Date.now(), type: 'admin.client.updated', actorType: 'admin', actorId: 'someone', clientId: null, ip: null, userAgent: null, divisionCode: '230102', targetType: 'client', targetId: 'cX', result: 'success' as const, errorCode: null, details: '{}', prevHash: prev.hash }
    await db('audit_events').insert({ seq: 4, id: forged.id, at: forged.at, type: forged.type, actor_type: 'admin', actor_id: 'someone', division_code: '230102', target_type: 'client', target_id: 'cX', result: 'success', details: '{}', prev_hash: forged.prevHash, hash: recordHash(forged) })
    const result = await audit.verify()
    assert.deepEqual([result.ok, result.problem?.seq, result.problem?.kind], [false, 4, 'inserted'])
    const cli = await runCli(server.database, ['audit', 'verify'])
    assert.equal(cli.code, 1)
    assert.match(cli.stderr, /record 4 \(inserted\)/)
  })

  it('names a forged record appended after the head', async () => {
    const last = await db('audit_events').where({ seq: 6 }).first()
    const forged = { id: 'forged1111111111111111111', at: Date.now(), type: 'auth.login.succeeded', actorType: 'person', actorId: 'p', clientId: null, ip: null, userAgent: null, divisionCode: null, targetType: null, targetId: null, result: 'success' as const, errorCode: null, details: '{}', prevHash: last.hash }
    await db('audit_events').insert({ seq: 7, id: forged.id, at: forged.at, type: forged.type, actor_type: 'person', actor_id: 'p', result: 'success', details: '{}', prev_hash: last.hash, hash: recordHash(forged) })
    const result = await audit.verify()
    assert.deepEqual([result.ok, result.problem?.seq, result.problem?.kind], [false, 7, 'inserted'])
  })

  it('verifies a live chain while another process keeps appending (no false "inserted")', async () => {
    // Threat inverted: a verifier that cries wolf on a busy cluster gets ignored. Appends go on in
    // this process while `audit verify` runs in another; every run must report the chain intact.
    let appending = true
    let appended = 0
    const writer = (async () => {
      while (appending) {
        await audit.record(event(100 + appended))
        appended += 1
      }
    })()
    const runs = []
    for (let i = 0; i < 2; i += 1) runs.push(await runCli(server.database, ['audit', 'verify']))
    appending = false
    await writer
    assert.ok(appended > 0, 'the writer appended while verify ran')
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /intact/)
    }
    assert.equal((await audit.verify()).ok, true)
  })

  it('masks personal data and drops secrets from details', async () => {
    const rec = await audit.record(event(7, { details: { note: '核验 230102199001011237，手机 13912345678', password: 'hunter2', nested: { client_secret: 'abc' } } }))
    const details = JSON.parse(rec.details)
    assert.equal(details.note, '核验 2301**********1237，手机 139****5678')
    assert.equal(details.password, '[redacted]')
    assert.equal(details.nested.client_secret, '[redacted]')
  })

  it('rejects an event type outside the catalogue', async () => {
    await assert.rejects(audit.record({ ...event(8), type: 'made.up.thing' as never }), (err: { code?: string }) => err.code === 'AUDIT_UNKNOWN_EVENT')
  })

  it('refuses to archive records younger than 180 days, via the CLI too, and writes nothing', async () => {
    const out = path.join(server.database.dataDir, 'young.jsonl')
    await assert.rejects(audit.archive(new Date(Date.now() - 10 * DAY), out), (err: { code?: string }) => err.code === 'AUDIT_RETENTION')
    const cli = await runCli(server.database, ['audit', 'archive', '--before', new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10), '--out', out])
    assert.equal(cli.code, 1)
    assert.match(cli.stderr, /AUDIT_RETENTION/)
    assert.equal(existsSync(out), false)
    assert.equal(Number((await db('audit_events').count({ n: '*' }).first())?.n), 6)
  })

  it('archives old records to a file, purges them, and the chain still verifies from the anchor', async () => {
    // A fresh trail whose first records are a year old.
    await db('audit_events').delete()
    await db('audit_chain_head').delete()
    for (let i = 1; i <= 3; i += 1) await audit.record(event(i, { at: Date.now() - 365 * DAY + i }))
    for (let i = 4; i <= 5; i += 1) await audit.record(event(i))
    const out = path.join(server.database.dataDir, 'archive.jsonl')
    const before = new Date(Date.now() - 200 * DAY).toISOString().slice(0, 10)
    const cli = await runCli(server.database, ['audit', 'archive', '--before', before, '--out', out, '--json'])
    assert.equal(cli.code, 0, cli.stderr)
    assert.equal(JSON.parse(cli.stdout).count, 3)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    assert.equal(JSON.parse(lines[0]).format, 'onedoor-audit-archive/1')
    assert.deepEqual(lines.slice(1).map((l) => JSON.parse(l).seq), [1, 2, 3])
    const remaining = await db('audit_events').orderBy('seq').pluck('seq')
    assert.deepEqual(remaining.map(Number), [4, 5, 6]) // 6 = audit.trail.archived
    assert.equal((await audit.verify()).ok, true)
    // Deleting the first record after the anchor is still caught.
    await db('audit_events').where({ seq: 4 }).delete()
    assert.equal((await audit.verify()).problem?.kind, 'deleted')
    // The same file is never overwritten.
    const again = await runCli(server.database, ['audit', 'archive', '--before', before, '--out', out])
    assert.equal(again.code, 1)
  })
})
