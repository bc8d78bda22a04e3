/*
 * What a fault drill must not lose (issue 6): accounts, grants, audit records and queued logout
 * deliveries, counted with plain SQL on the database the nodes share, before and after a drill.
 * The audit chain must still verify afterwards (nothing half-written by an interrupted append).
 */
import assert from 'node:assert/strict'
import type { Db } from '../../src/store/db.js'
import { createAuditServices } from '../../src/admin/wiring.js'
import type { Config } from '../../src/config/index.js'

export interface DurableCounts {
  persons: number
  enterprises: number
  grants: number
  auditEvents: number
  logoutQueue: number
}

export async function countDurableRows(db: Db): Promise<DurableCounts> {
  const count = async (table: string, where: Record<string, string> = {}) => Number((await db(table).where(where).count({ n: '*' }).first())?.n ?? 0)
  return {
    persons: await count('persons'),
    enterprises: await count('enterprises'),
    grants: await count('oidc_payloads', { type: 'Grant' }),
    auditEvents: await count('audit_events'),
    logoutQueue: await count('logout_queue'),
  }
}

/**
 * Accounts are exactly as many as before (a drill creates none); grants, audit records and
 * queued deliveries can only have grown (a drill may add some, it must never remove one).
 */
export async function assertNothingLost(config: Config, db: Db, before: DurableCounts): Promise<DurableCounts> {
  const after = await countDurableRows(db)
  assert.equal(after.persons, before.persons, 'accounts lost or added')
  assert.equal(after.enterprises, before.enterprises, 'enterprises lost or added')
  assert.ok(after.grants >= before.grants, `grants lost: ${before.grants} before, ${after.grants} after`)
  assert.ok(after.auditEvents >= before.auditEvents, `audit records lost: ${before.auditEvents} before, ${after.auditEvents} after`)
  assert.ok(after.logoutQueue >= before.logoutQueue, `queued logout deliveries lost: ${before.logoutQueue} before, ${after.logoutQueue} after`)
  await assertAuditChainVerifies(config, db)
  return after
}

/**
 * The audit chain verifies. Nodes may still be appending (a sign-in finishing, a logout retry),
 * and verify() reads the head and the records in separate queries: a record appended in between
 * looks like one inserted after the head. So a verification counts only when the head did not
 * move while it ran; otherwise it is run again.
 */
async function assertAuditChainVerifies(config: Config, db: Db): Promise<void> {
  const audit = createAuditServices(config, db).audit
  const head = async () => JSON.stringify((await db('audit_chain_head').where({ id: 1 }).first()) ?? null)
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const before = await head()
    const chain = await audit.verify()
    if ((await head()) !== before) continue
    assert.ok(chain.ok, `audit chain does not verify: ${JSON.stringify(chain.problem)}`)
    return
  }
  assert.fail('the audit chain kept growing: no quiet moment to verify it')
}
