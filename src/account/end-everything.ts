/*
 * "Sign out everywhere" (and account closure): ends every OneDoor session of the person and
 * revokes every grant, offline ones included, with their tokens. The federation's single-logout
 * service (issue 4) does the session part when wired in, so that each portal the sessions
 * reached gets a back-channel logout token; whatever it leaves (grants kept offline) is
 * revoked here. The cut is recorded first, so that a sign-in in flight, whose session and code
 * are written after the rows are read, is refused when used.
 */
export interface EndEverythingDeps {
  listGrants(accountId: string): Promise<unknown[]>
  revokeAllGrants(accountId: string): Promise<unknown[]>
  deleteSessions(accountId: string): Promise<number>
  /** Records the cut that refuses whatever a request in flight writes back (shared/sessions-cutoff.ts); done by the fan-out when wired. */
  cutSessions(accountId: string): Promise<void>
  /** The federation's fan-out: ends the sessions and notifies the portals. */
  signOutEverywhere?: (accountId: string) => Promise<{ sessionsEnded: number }>
}

export function createEndEverything(deps: EndEverythingDeps) {
  return async function endEverything(personId: string): Promise<{ sessionsEnded: number; grantsRevoked: number }> {
    // The fan-out records the cut itself, before it reads the sessions.
    if (!deps.signOutEverywhere) await deps.cutSessions(personId)
    const grantsRevoked = (await deps.listGrants(personId)).length
    const notified = deps.signOutEverywhere ? (await deps.signOutEverywhere(personId)).sessionsEnded : 0
    await deps.revokeAllGrants(personId)
    const sessionsEnded = notified + (await deps.deleteSessions(personId))
    return { sessionsEnded, grantsRevoked }
  }
}
