/*
 * Single logout (issue 4): a logout at any portal, in the account centre or by an administrator
 * ends the OneDoor session and sends a signed back-channel logout token to every portal that
 * session reached, concurrently and with a bounded wait; failures are queued and retried.
 */
import type Provider from 'oidc-provider'
import { captureProviderLogouts } from './capture-provider-logouts.js'
import { createEndSessions } from './end-sessions.js'
import { createLogoutFanOut, type FanOutDeps } from './fan-out.js'
import type { LogoutQueueStore, SessionStore } from './types.js'

export interface SingleLogoutDeps extends FanOutDeps {
  queue: LogoutQueueStore
  sessions: SessionStore
}

export type SingleLogout = ReturnType<typeof createSingleLogout>

export function createSingleLogout(deps: SingleLogoutDeps) {
  const fanOut = createLogoutFanOut(deps)
  const sessions = createEndSessions({ sessions: deps.sessions, fanOut, ...(deps.now ? { now: deps.now } : {}) })
  return {
    /** Takes over the provider's back-channel sending; call on every provider (re)build. */
    attach(provider: Provider): void {
      captureProviderLogouts(provider, fanOut.startBatch, (err) => deps.logger.error({ err }, 'back-channel logout failed'))
    },
    /** "Sign out everywhere": ends all of the person's sessions; sub-only logout tokens to every portal they reached. */
    signOutEverywhere: sessions.signOutEverywhere,
    /** signOutEverywhere in two steps: end the sessions inside the caller's transaction, notify the portals after its commit. */
    endEverySession: sessions.endEverySession,
    /** Ends one session (by its public uid); logout tokens with its sid. Pass accountId to restrict to that person's sessions. */
    endSession: sessions.endSession,
    /** The person's live sessions and the portals each reached. */
    listSessions: sessions.listSessions,
    /** Sends logout tokens to the given portals (bounded wait, queued on failure). */
    notify: fanOut.notify,
    /** One run of the retry job (the server runs it every retry.intervalSeconds). */
    runRetries: fanOut.runRetries,
    /** Waits for deliveries still running in the background. */
    drain: fanOut.drain,
    /** Queued deliveries and their status, newest first. */
    deliveries: deps.queue.list,
  }
}

export { LogoutError } from './errors.js'
export { BACKCHANNEL_LOGOUT_EVENT, signLogoutToken } from './logout-token.js'
export { nextAttemptAt, type RetrySettings } from './backoff.js'
export type { FanOutReport, FanOutSettings, RetryRunReport } from './fan-out.js'
export type { LogoutResult, SessionSummary } from './end-sessions.js'
export type {
  DeliveryOutcome,
  LogoutQueueStore,
  LogoutReason,
  LogoutTarget,
  OidcSession,
  QueuedDelivery,
  QueueEntry,
  QueueStatus,
  SessionAuthorization,
  SessionStore,
} from './types.js'
