/*
 * The oidc-provider adapter: every model (sessions, codes, tokens, grants, interactions,
 * PAR, replay detection…) in one table, keyed by (type, id), each row with its expiry.
 * Clients are the exception: they are read from the clients table (see clients.ts).
 */
import type { Db } from './db.js'
import type { ClientStore } from './clients.js'

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: unknown }

export interface AdapterDeps {
  db: Db
  clients: ClientStore
  /** Called when a conditional consume finds the row already consumed; must throw. */
  onConsumeConflict: (model: string) => never
  now?: () => number
}

export function createAdapterClass(deps: AdapterDeps) {
  const { db, clients } = deps
  const now = deps.now ?? Date.now

  return class KnexAdapter {
    readonly name: string

    constructor(name: string) {
      this.name = name
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const row = {
        type: this.name,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? (this.name === 'Grant' ? id : null),
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expires_at: expiresIn ? now() + expiresIn * 1000 : null,
      }
      await db('oidc_payloads').insert(row).onConflict(['type', 'id']).merge()
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.name === 'Client') return clients.findMetadata(id)
      return this.findBy({ id })
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.findBy({ user_code: userCode })
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return this.findBy({ uid })
    }

    /**
     * Marks the row consumed only if it is not yet: of concurrent redemptions of one code or
     * refresh token exactly one updates a row, and the others are refused.
     */
    async consume(id: string): Promise<void> {
      const updated = await db('oidc_payloads')
        .where({ type: this.name, id })
        .whereNull('consumed_at')
        .update({ consumed_at: now() })
      if (updated === 0) deps.onConsumeConflict(this.name)
    }

    async destroy(id: string): Promise<void> {
      await db('oidc_payloads').where({ type: this.name, id }).delete()
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db('oidc_payloads').where({ type: this.name, grant_id: grantId }).delete()
    }

    private async findBy(where: Record<string, string>): Promise<Payload | undefined> {
      const row = await db('oidc_payloads')
        .select('payload', 'expires_at', 'consumed_at')
        .where({ type: this.name, ...where })
        .first()
      if (!row) return undefined
      if (row.expires_at !== null && Number(row.expires_at) <= now()) return undefined
      const payload = JSON.parse(row.payload) as Payload
      if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000)
      return payload
    }
  }
}

/** Deletes expired rows; returns how many. Run periodically by the cleanup job. */
export async function deleteExpiredPayloads(db: Db, now = Date.now()): Promise<number> {
  return db('oidc_payloads').where('expires_at', '<=', now).delete()
}
