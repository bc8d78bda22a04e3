/*
 * A person's OneDoor sessions and grants, read from and removed in oidc_payloads (the provider's
 * own rows). The provider keeps accountId inside the JSON payload; ids are [0-9a-z] only, so a
 * LIKE on the serialised `"accountId":"<id>"` is exact on SQLite and PostgreSQL alike.
 */
import type { Db } from './db.js'

export interface SessionRecord {
  id: string
  uid: string
  accountId: string
  loginTs: number | undefined
  amr: string[]
  /** client id -> { sid, grantId } */
  authorizations: Record<string, { sid?: string; grantId?: string }>
  expiresAt: number | null
}

export interface GrantRecord {
  id: string
  accountId: string
  clientId: string
  scope: string
  claims: string[]
  issuedAt: number | undefined
  expiresAt: number | null
}

export type AccountSessionStore = ReturnType<typeof createAccountSessionStore>

export function createAccountSessionStore(db: Db, now: () => number = Date.now) {
  return { listSessions, listGrants, deleteSessions, revokeGrant, revokeAllGrants }

  function ofAccount(type: string, accountId: string) {
    if (!/^[0-9a-z]+$/.test(accountId)) throw new TypeError('unexpected account id shape')
    return db('oidc_payloads')
      .where({ type })
      .where('payload', 'like', `%"accountId":"${accountId}"%`)
      .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now()))
  }

  async function listSessions(accountId: string): Promise<SessionRecord[]> {
    const rows = await ofAccount('Session', accountId).select('id', 'payload', 'expires_at')
    return rows
      .map((row: Record<string, unknown>) => {
        const payload = JSON.parse(row.payload as string) as Record<string, unknown>
        return {
          id: row.id as string,
          uid: String(payload.uid ?? ''),
          accountId: String(payload.accountId),
          loginTs: typeof payload.loginTs === 'number' ? payload.loginTs : undefined,
          amr: Array.isArray(payload.amr) ? (payload.amr as string[]) : [],
          authorizations: (payload.authorizations ?? {}) as SessionRecord['authorizations'],
          expiresAt: row.expires_at == null ? null : Number(row.expires_at),
        }
      })
      .filter((s: SessionRecord) => s.accountId === accountId)
  }

  async function listGrants(accountId: string): Promise<GrantRecord[]> {
    const rows = await ofAccount('Grant', accountId).select('id', 'payload', 'expires_at')
    return rows
      .map((row: Record<string, unknown>) => {
        const payload = JSON.parse(row.payload as string) as Record<string, unknown>
        const openid = (payload.openid ?? {}) as { scope?: string; claims?: string[] }
        return {
          id: row.id as string,
          accountId: String(payload.accountId),
          clientId: String(payload.clientId),
          scope: openid.scope ?? '',
          claims: openid.claims ?? [],
          issuedAt: typeof payload.iat === 'number' ? payload.iat : undefined,
          expiresAt: row.expires_at == null ? null : Number(row.expires_at),
        }
      })
      .filter((g: GrantRecord) => g.accountId === accountId)
  }

  /** Ends every OneDoor session of the account; returns how many. */
  async function deleteSessions(accountId: string): Promise<number> {
    const ids = (await listSessions(accountId)).map((s) => s.id)
    if (ids.length === 0) return 0
    return db('oidc_payloads').where({ type: 'Session' }).whereIn('id', ids).delete()
  }

  /** Removes one grant and every token, code and session binding issued under it. */
  async function revokeGrant(accountId: string, grantId: string): Promise<boolean> {
    const grant = (await listGrants(accountId)).find((g) => g.id === grantId)
    if (!grant) return false
    await db('oidc_payloads').where({ grant_id: grantId }).delete()
    return true
  }

  async function revokeAllGrants(accountId: string): Promise<GrantRecord[]> {
    const grants = await listGrants(accountId)
    if (grants.length > 0) await db('oidc_payloads').whereIn('grant_id', grants.map((g) => g.id)).delete()
    return grants
  }
}
