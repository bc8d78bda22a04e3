/*
 * Logouts that do not come through a portal: "sign out everywhere" in the account centre, and
 * an administrator ending a session. The sessions and their grants' tokens are deleted first
 * (so no portal can get a new token from them), then the portals they reached are notified.
 */
import type { Transaction } from '../shared/transaction.js'
import { isCutOff } from '../shared/sessions-cutoff.js'
import { LogoutError } from './errors.js'
import type { FanOutReport, LogoutFanOut } from './fan-out.js'
import type { LogoutTarget, OidcSession, SessionStore } from './types.js'

export interface EndSessionsDeps {
  sessions: SessionStore
  fanOut: Pick<LogoutFanOut, 'notify'>
  now?: () => number
}

export interface LogoutResult {
  sessionsEnded: number
  portals: FanOutReport
}

export interface SessionSummary {
  uid: string
  loginAt?: number
  expiresAt?: number
  clientIds: string[]
}

export function createEndSessions(deps: EndSessionsDeps) {
  const now = deps.now ?? Date.now
  return { signOutEverywhere, endEverySession, endSession, listSessions }

  /**
   * Ends every session of the person and sends each portal they reached one `sub`-only logout
   * token (no sid: Back-Channel Logout §2.4 reads that as "all sessions of this subject").
   */
  async function signOutEverywhere(accountId: string): Promise<LogoutResult> {
    const { sessionsEnded, notify } = await endEverySession(accountId)
    return { sessionsEnded, portals: await notify() }
  }

  /**
   * The same in two steps, for a caller that commits the ending with a record of its own (an
   * administrator's action and its audit record): the sessions end inside `tx`; `notify` tells
   * the portals and must be called after the commit (the network cannot join a transaction).
   */
  async function endEverySession(accountId: string, tx?: Transaction): Promise<{ sessionsEnded: number; notify: () => Promise<FanOutReport> }> {
    // The cut first: a sign-in in flight may save its session after the rows are read below.
    await deps.sessions.cutSessions(accountId, now(), tx)
    const sessions = await deps.sessions.findByAccount(accountId, now(), tx)
    const sessionsEnded = await end(sessions, tx)
    const clientIds = new Set(sessions.flatMap((s) => Object.keys(s.authorizations)))
    const targets: LogoutTarget[] = [...clientIds].map((clientId) => ({ clientId, accountId }))
    return { sessionsEnded, notify: () => deps.fanOut.notify(targets, 'sign_out_everywhere') }
  }

  /**
   * Ends one session, named by its public uid, with a logout token carrying that session's sid
   * to each portal it reached. With `accountId`, only a session of that person is ended (the
   * account centre); without, any (an administrator, whose permission is checked by the caller).
   */
  async function endSession(uid: string, options: { accountId?: string } = {}): Promise<LogoutResult> {
    const session = await deps.sessions.findByUid(uid, now())
    if (!session || (options.accountId !== undefined && session.accountId !== options.accountId)) throw LogoutError.SESSION_NOT_FOUND()
    const sessionsEnded = await end([session])
    const targets: LogoutTarget[] = Object.entries(session.authorizations).map(([clientId, a]) => ({ clientId, accountId: session.accountId, ...(a.sid ? { sid: a.sid } : {}) }))
    return { sessionsEnded, portals: await deps.fanOut.notify(targets, 'session_ended') }
  }

  /** The person's live sessions, by public uid, with the portals each reached (not those a sign-out everywhere cut). */
  async function listSessions(accountId: string): Promise<SessionSummary[]> {
    const [found, notBefore] = await Promise.all([deps.sessions.findByAccount(accountId, now()), deps.sessions.sessionsNotBefore(accountId)])
    const sessions = found.filter((s) => !isCutOff(notBefore, s.loginAt === undefined ? undefined : Math.floor(s.loginAt / 1000)))
    return sessions.map((s) => ({
      uid: s.uid,
      ...(s.loginAt !== undefined ? { loginAt: s.loginAt } : {}),
      ...(s.expiresAt !== undefined ? { expiresAt: s.expiresAt } : {}),
      clientIds: Object.keys(s.authorizations),
    }))
  }

  async function end(sessions: OidcSession[], tx?: Transaction): Promise<number> {
    // Grants a portal holds offline (persistsLogout) outlive the session, as in oidc-provider's end_session.
    const grantIds = sessions.flatMap((s) => Object.values(s.authorizations).flatMap((a) => (a.grantId && !a.persistsLogout ? [a.grantId] : [])))
    return deps.sessions.endSessions(sessions.map((s) => s.id), grantIds, tx)
  }
}
