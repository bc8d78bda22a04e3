/*
 * The provider's Session rows, read for single logout: which portals a session reached (and
 * with which sid and grant), found by account or by the session's public uid. Ending sessions
 * deletes them and the tokens of their grants in one transaction, as oidc-provider's own
 * end_session does for one session.
 */
import type { Knex } from 'knex'
import type { OidcSession, SessionStore } from '../logout/index.js'
import type { Transaction } from '../shared/transaction.js'
import type { Db } from './db.js'
import { endSessionRows } from './oidc-adapter.js'
import { cutSessionsOf } from './persons.js'

export function createSessionStore(db: Db): SessionStore {
  return { findByAccount, findByUid, endSessions, cutSessions, sessionsNotBefore }

  async function cutSessions(accountId: string, at: number, tx?: Transaction): Promise<void> {
    await cutSessionsOf((tx as Knex | undefined) ?? db, accountId, at)
  }

  async function sessionsNotBefore(accountId: string): Promise<number | null> {
    const row = await db('persons').select('sessions_not_before').where({ id: accountId }).first()
    return row?.sessions_not_before == null ? null : Number(row.sessions_not_before)
  }

  async function findByAccount(accountId: string, now: number, tx?: Transaction): Promise<OidcSession[]> {
    const rows = await live(now, tx as Knex | undefined).where({ type: 'Session', account_id: accountId })
    return rows.flatMap((row) => toSession(row) ?? [])
  }

  async function findByUid(uid: string, now: number): Promise<OidcSession | undefined> {
    const row = await live(now).where({ type: 'Session', uid }).first()
    return row ? toSession(row) : undefined
  }

  async function endSessions(sessionIds: string[], grantIds: string[], tx?: Transaction): Promise<number> {
    if (sessionIds.length === 0 && grantIds.length === 0) return 0
    const inTransaction = <T>(work: (trx: Knex.Transaction) => Promise<T>) => (tx ? work(tx as Knex.Transaction) : db.transaction(work))
    return inTransaction(async (trx) => {
      const ended = await endSessionRows(trx, sessionIds)
      // Every model row of a revoked grant (codes, access and refresh tokens, the Grant itself).
      for (let i = 0; i < grantIds.length; i += 500) {
        await trx('oidc_payloads').whereIn('grant_id', grantIds.slice(i, i + 500)).delete()
      }
      return ended
    })
  }

  function live(now: number, conn: Knex = db) {
    return conn('oidc_payloads')
      .select('id', 'uid', 'payload', 'expires_at')
      .where((w) => w.whereNull('expires_at').orWhere('expires_at', '>', now))
  }
}

function toSession(row: Record<string, unknown>): OidcSession | undefined {
  let payload: Record<string, unknown>
  try {
    payload = JSON.parse(String(row.payload))
  } catch {
    return undefined
  }
  if (typeof payload.accountId !== 'string') return undefined
  const authorizations: OidcSession['authorizations'] = {}
  for (const [clientId, value] of Object.entries((payload.authorizations ?? {}) as Record<string, Record<string, unknown>>)) {
    authorizations[clientId] = {
      ...(typeof value?.sid === 'string' ? { sid: value.sid } : {}),
      ...(typeof value?.grantId === 'string' ? { grantId: value.grantId } : {}),
      ...(value?.persistsLogout === true ? { persistsLogout: true } : {}),
    }
  }
  return {
    id: String(row.id),
    uid: String(row.uid ?? payload.uid ?? ''),
    accountId: payload.accountId,
    ...(typeof payload.loginTs === 'number' ? { loginAt: payload.loginTs * 1000 } : {}),
    ...(row.expires_at !== null && row.expires_at !== undefined ? { expiresAt: Number(row.expires_at) } : {}),
    authorizations,
  }
}
