/* SMS codes (hashed) and the log driver's outbox. */
import type { Db } from './db.js'

export interface SmsCodeRow {
  id: string
  phone: string
  purpose: string
  codeHash: string
  attempts: number
  createdAt: number
  expiresAt: number
  consumedAt: number | null
}

export interface OutboxMessage {
  id: string
  phone: string
  template: string
  params: Record<string, string>
  createdAt: number
}

export type SmsStore = ReturnType<typeof createSmsStore>

export function createSmsStore(db: Db) {
  return { insertCode, findLiveCode, recordAttempt, consume, deleteExpired, insertOutbox, listOutbox }

  /** Stores a new code and retires the earlier live ones for the same phone and purpose. */
  async function insertCode(row: SmsCodeRow): Promise<void> {
    await db.transaction(async (trx) => {
      // Two codes sent at once (possible with resendIntervalSeconds = 0) would each retire only the
      // codes committed before it and both stay live: one phone's sends take turns (PostgreSQL;
      // SQLite's writer is single). Keyed by schema too, like the audit lock.
      if (db.client.config.client === 'pg') await trx.raw("select pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '')), hashtext(?))", [`sms:${row.phone}`])
      await trx('sms_codes').where({ phone: row.phone, purpose: row.purpose }).whereNull('consumed_at').update({ consumed_at: row.createdAt })
      await trx('sms_codes').insert({
        id: row.id,
        phone: row.phone,
        purpose: row.purpose,
        code_hash: row.codeHash,
        attempts: 0,
        created_at: row.createdAt,
        expires_at: row.expiresAt,
        consumed_at: null,
      })
    })
  }

  async function findLiveCode(phone: string, purpose: string, now: number): Promise<SmsCodeRow | undefined> {
    const row = await db('sms_codes').where({ phone, purpose }).whereNull('consumed_at').where('expires_at', '>', now).orderBy('created_at', 'desc').first()
    if (!row) return undefined
    return {
      id: row.id,
      phone: row.phone,
      purpose: row.purpose,
      codeHash: row.code_hash,
      attempts: Number(row.attempts),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
    }
  }

  /** Counts a guess atomically and returns the number of guesses so far. */
  async function recordAttempt(id: string): Promise<number> {
    await db('sms_codes').where({ id }).increment('attempts', 1)
    const row = await db('sms_codes').select('attempts').where({ id }).first()
    return Number(row?.attempts ?? Number.MAX_SAFE_INTEGER)
  }

  /** Marks the code used; false when another request used it first (single use under concurrency). */
  async function consume(id: string, now: number): Promise<boolean> {
    const updated = await db('sms_codes').where({ id }).whereNull('consumed_at').update({ consumed_at: now })
    return updated === 1
  }

  /** Expired codes, and outbox messages older than a day (the outbox is for development and tests). */
  async function deleteExpired(before: number): Promise<number> {
    const codes = await db('sms_codes').where('expires_at', '<', before).delete()
    const messages = await db('sms_outbox').where('created_at', '<', before - 86_400_000).delete()
    return codes + messages
  }

  async function insertOutbox(message: OutboxMessage): Promise<void> {
    await db('sms_outbox').insert({ id: message.id, phone: message.phone, template: message.template, params: JSON.stringify(message.params), created_at: message.createdAt })
  }

  /** Newest first; tests and development read the codes here. */
  async function listOutbox(phone?: string): Promise<OutboxMessage[]> {
    const query = db('sms_outbox').orderBy('created_at', 'desc').orderBy('id', 'desc')
    if (phone) query.where({ phone })
    const rows = await query
    return rows.map((row: Record<string, unknown>) => ({
      id: row.id as string,
      phone: row.phone as string,
      template: row.template as string,
      params: JSON.parse(row.params as string) as Record<string, string>,
      createdAt: Number(row.created_at),
    }))
  }
}
