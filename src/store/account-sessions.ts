/*
 * A person's OneDoor sessions and grants, read from and removed in oidc_payloads (the provider's
 * own rows), found by the account_id column the adapter fills for both models.
 */
import { createConsentStore, type ConsentRecord } from './consents.js'
import type { Knex } from 'knex'
import type { Db } from './db.js'
import { endSessionRows } from './oidc-adapter.js'
import { cutSessionsOf } from './persons.js'

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
  const consents = createConsentStore(db, now)
  return { listSessions, listGrants, listConsentsWithoutGrant, deleteSessions, cutSessions, revokeGrant, revokeAllGrants, forgetConsent }

  /** What the person authenticated until now stops working when used (shared/sessions-cutoff.ts). */
  async function cutSessions(accountId: string): Promise<void> {
    await cutSessionsOf(db, accountId, now())
  }

  /** The person's live rows of one model, through the (type, account_id) index (sessions and grants name their account). */
  function ofAccount(type: 'Session' | 'Grant', accountId: string) {
    return db('oidc_payloads')
      .where({ type, account_id: accountId })
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
    return endSessionRows(db, ids)
  }

  /** What the person allowed portals that hold none of `grants` (the person's live grants): remembered consent alone. */
  async function listConsentsWithoutGrant(accountId: string, grants: GrantRecord[]): Promise<ConsentRecord[]> {
    const withGrant = new Set(grants.map((g) => g.clientId))
    return (await consents.list(accountId)).filter((c) => !withGrant.has(c.clientId))
  }

  /**
   * Removes one grant and every token, code and session binding issued under it, and forgets the
   * person's consent to its portal, so that the portal must ask again.
   */
  async function revokeGrant(accountId: string, grantId: string): Promise<boolean> {
    const grant = (await listGrants(accountId)).find((g) => g.id === grantId)
    if (!grant) return false
    await db.transaction(async (trx) => {
      await deleteGrants(trx, [grantId])
      await consents.forget(accountId, grant.clientId, trx)
    })
    return true
  }

  /** Every grant and every remembered consent of the person (sign out everywhere, account closure). */
  async function revokeAllGrants(accountId: string): Promise<GrantRecord[]> {
    const grants = await listGrants(accountId)
    await db.transaction(async (trx) => {
      await deleteGrants(trx, grants.map((g) => g.id))
      await consents.forgetAll(accountId, trx)
    })
    return grants
  }

  /** Forgets the person's consent to a portal and revokes the grants made for it; false if there was neither. */
  async function forgetConsent(accountId: string, clientId: string): Promise<boolean> {
    const grants = (await listGrants(accountId)).filter((g) => g.clientId === clientId)
    return db.transaction(async (trx) => {
      await deleteGrants(trx, grants.map((g) => g.id))
      const forgotten = await consents.forget(accountId, clientId, trx)
      return forgotten || grants.length > 0
    })
  }

  /** The grants and every token, code and session binding issued under them. */
  async function deleteGrants(trx: Knex.Transaction, grantIds: string[]): Promise<void> {
    if (grantIds.length > 0) await trx('oidc_payloads').whereIn('grant_id', grantIds).delete()
  }
}
