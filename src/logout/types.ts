/* Single logout: the shapes shared by the fan-out, the retry job and their stores. */
import type { Transaction } from '../shared/transaction.js'

/** Why a logout token is being sent; kept with each queued delivery. */
export type LogoutReason = 'rp_logout' | 'sign_out_everywhere' | 'session_ended' | 'provider'

/** One portal to tell that a person's session there is over. No sid: every session of `accountId` at that portal. */
export interface LogoutTarget {
  clientId: string
  accountId: string
  sid?: string
}

/** A delivery as the queue holds it; `attempts` counts the attempt now being made. */
export interface QueuedDelivery extends LogoutTarget {
  id: string
  reason: LogoutReason
  attempts: number
}

/** What one attempt came to, and what the queue should do next with the row. */
export interface DeliveryOutcome {
  delivery: QueuedDelivery
  result: 'delivered' | 'failed'
  /** After a failure: when to try again, or undefined when the delivery is abandoned. */
  nextAttemptAt?: number
  error?: string
  durationMs: number
  at: number
}

export type QueueStatus = 'pending' | 'delivered' | 'abandoned'

export interface QueueEntry extends QueuedDelivery {
  status: QueueStatus
  nextAttemptAt: number
  lastError: string | null
  createdAt: number
  deliveredAt: number | null
}

/** The persistent queue (src/store/logout-queue.ts). */
export interface LogoutQueueStore {
  /** Writes deliveries about to be attempted, leased until `leaseUntil` so no retry job takes them meanwhile. */
  enqueue(deliveries: QueuedDelivery[], options: { now: number; leaseUntil: number }): Promise<void>
  /** Claims up to `limit` due deliveries for this process (attempts + 1, leased); safe with several processes. */
  claimDue(options: { now: number; leaseUntil: number; limit: number }): Promise<QueuedDelivery[]>
  /** Records attempts (logout_deliveries) and moves each row on: delivered, retried later, or abandoned. */
  recordOutcomes(outcomes: DeliveryOutcome[]): Promise<void>
  /** Deletes delivered and abandoned rows last touched before `before`; returns how many. */
  purgeFinished(before: number): Promise<number>
  list(filter: { accountId?: string; clientId?: string; status?: QueueStatus; limit?: number }): Promise<QueueEntry[]>
}

/** What a session row says about the portals it reached. */
export interface SessionAuthorization {
  sid?: string
  grantId?: string
  persistsLogout?: boolean
}

export interface OidcSession {
  /** The session cookie's value: never shown, never logged. */
  id: string
  /** Public handle of the session (what an account centre or an administrator names it by). */
  uid: string
  accountId: string
  loginAt?: number
  expiresAt?: number
  authorizations: Record<string, SessionAuthorization>
}

/** The provider's Session rows (src/store/oidc-sessions.ts). */
export interface SessionStore {
  findByAccount(accountId: string, now: number, tx?: Transaction): Promise<OidcSession[]>
  findByUid(uid: string, now: number): Promise<OidcSession | undefined>
  /** Deletes the sessions and every token of the given grants, in one transaction (or `tx`); returns sessions deleted. */
  endSessions(sessionIds: string[], grantIds: string[], tx?: Transaction): Promise<number>
  /** Records that what the person authenticated up to `at` is ended (shared/sessions-cutoff.ts). */
  cutSessions(accountId: string, at: number, tx?: Transaction): Promise<void>
  /** That time, if the person ever signed out everywhere. */
  sessionsNotBefore(accountId: string): Promise<number | null>
}
