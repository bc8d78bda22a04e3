/*
 * The back-channel logout queue: one row per (logout, portal), written before the first attempt
 * and moved on by each attempt's outcome. Rows are claimed by a conditional update, so several
 * server processes can run the retry job on one database without sending a token twice at once:
 * FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite (one writer) an update guarded by the value
 * just read.
 */
import type { DeliveryOutcome, LogoutQueueStore, QueueEntry, QueuedDelivery } from '../logout/index.js'
import type { Db } from './db.js'

const INSERT_CHUNK = 50

export function createLogoutQueueStore(db: Db): LogoutQueueStore {
  const isPg = db.client.config.client === 'pg'

  return { enqueue, claimDue, recordOutcomes, purgeFinished, list }

  async function enqueue(deliveries: QueuedDelivery[], options: { now: number; leaseUntil: number }): Promise<void> {
    if (deliveries.length === 0) return
    const rows = deliveries.map((d) => ({
      id: d.id,
      client_id: d.clientId,
      account_id: d.accountId,
      sid: d.sid ?? null,
      reason: d.reason,
      status: 'pending',
      attempts: d.attempts,
      next_attempt_at: options.leaseUntil,
      last_error: null,
      created_at: options.now,
      updated_at: options.now,
      delivered_at: null,
    }))
    await db.batchInsert('logout_queue', rows, INSERT_CHUNK)
  }

  async function claimDue(options: { now: number; leaseUntil: number; limit: number }): Promise<QueuedDelivery[]> {
    return isPg ? claimWithSkipLocked(options) : claimWithGuardedUpdate(options)
  }

  async function claimWithSkipLocked(options: { now: number; leaseUntil: number; limit: number }): Promise<QueuedDelivery[]> {
    return db.transaction(async (trx) => {
      const due = await trx('logout_queue')
        .select('id')
        .where({ status: 'pending' })
        .andWhere('next_attempt_at', '<=', options.now)
        .orderBy('next_attempt_at', 'asc')
        .limit(options.limit)
        .forUpdate()
        .skipLocked()
      if (due.length === 0) return []
      const claimed = await trx('logout_queue')
        .whereIn('id', due.map((r) => r.id))
        .update({ attempts: trx.raw('attempts + 1'), next_attempt_at: options.leaseUntil, updated_at: options.now }, ['id', 'client_id', 'account_id', 'sid', 'reason', 'attempts'])
      return (claimed as Record<string, unknown>[]).map(toDelivery)
    })
  }

  async function claimWithGuardedUpdate(options: { now: number; leaseUntil: number; limit: number }): Promise<QueuedDelivery[]> {
    // No surrounding transaction: in WAL mode a read transaction that later writes fails with
    // SQLITE_BUSY_SNAPSHOT when another process wrote in between. Each guarded update is atomic
    // on its own, and only one process can move a row from the values it read.
    const due = await db('logout_queue')
      .select('id', 'client_id', 'account_id', 'sid', 'reason', 'attempts', 'next_attempt_at')
      .where({ status: 'pending' })
      .andWhere('next_attempt_at', '<=', options.now)
      .orderBy('next_attempt_at', 'asc')
      .limit(options.limit)
    const claimed: QueuedDelivery[] = []
    for (const row of due) {
      const updated = await db('logout_queue')
        .where({ id: row.id, status: 'pending', attempts: row.attempts, next_attempt_at: row.next_attempt_at })
        .update({ attempts: Number(row.attempts) + 1, next_attempt_at: options.leaseUntil, updated_at: options.now })
      if (updated === 1) claimed.push(toDelivery({ ...row, attempts: Number(row.attempts) + 1 }))
    }
    return claimed
  }

  async function recordOutcomes(outcomes: DeliveryOutcome[]): Promise<void> {
    if (outcomes.length === 0) return
    await db.transaction(async (trx) => {
      const delivered = outcomes.filter((o) => o.result === 'delivered')
      for (let i = 0; i < delivered.length; i += 500) {
        const slice = delivered.slice(i, i + 500)
        const at = Math.max(...slice.map((o) => o.at))
        await trx('logout_queue')
          .whereIn('id', slice.map((o) => o.delivery.id))
          .update({ status: 'delivered', delivered_at: at, updated_at: at, last_error: null })
      }
      for (const outcome of outcomes) {
        if (outcome.result === 'delivered') continue
        // Only the holder of the current attempt moves the row on; a later claim wins otherwise.
        await trx('logout_queue')
          .where({ id: outcome.delivery.id, status: 'pending', attempts: outcome.delivery.attempts })
          .update(
            outcome.nextAttemptAt === undefined
              ? { status: 'abandoned', last_error: clip(outcome.error), updated_at: outcome.at }
              : { next_attempt_at: outcome.nextAttemptAt, last_error: clip(outcome.error), updated_at: outcome.at },
          )
      }
      const attempts = outcomes.map((o) => ({
        client_id: o.delivery.clientId,
        sid: o.delivery.sid ?? null,
        account_id: o.delivery.accountId,
        status: o.result,
        error: clip(o.error),
        created_at: o.at,
        queue_id: o.delivery.id,
        attempt: o.delivery.attempts,
        duration_ms: Math.round(o.durationMs),
      }))
      for (let i = 0; i < attempts.length; i += INSERT_CHUNK) await trx('logout_deliveries').insert(attempts.slice(i, i + INSERT_CHUNK))
    })
  }

  async function purgeFinished(before: number): Promise<number> {
    return db('logout_queue').whereIn('status', ['delivered', 'abandoned']).andWhere('updated_at', '<', before).delete()
  }

  async function list(filter: { accountId?: string; clientId?: string; status?: QueueEntry['status']; limit?: number }): Promise<QueueEntry[]> {
    const query = db('logout_queue').select('*').orderBy('created_at', 'desc').orderBy('id', 'asc').limit(filter.limit ?? 500)
    if (filter.accountId) query.where({ account_id: filter.accountId })
    if (filter.clientId) query.where({ client_id: filter.clientId })
    if (filter.status) query.where({ status: filter.status })
    const rows = await query
    return rows.map((row) => ({
      ...toDelivery(row),
      status: row.status,
      nextAttemptAt: Number(row.next_attempt_at),
      lastError: row.last_error ?? null,
      createdAt: Number(row.created_at),
      deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
    }))
  }
}

function toDelivery(row: Record<string, unknown>): QueuedDelivery {
  return {
    id: String(row.id),
    clientId: String(row.client_id),
    accountId: String(row.account_id),
    ...(row.sid ? { sid: String(row.sid) } : {}),
    reason: row.reason as QueuedDelivery['reason'],
    attempts: Number(row.attempts),
  }
}

function clip(message: string | undefined): string | null {
  return message === undefined ? null : message.slice(0, 500)
}
