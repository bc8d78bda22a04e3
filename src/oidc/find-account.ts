import type { FindAccount } from 'oidc-provider'
import type { Persons } from '../accounts/index.js'
import { isCutOff } from '../shared/sessions-cutoff.js'

/** Claims for a person; which of them reach a client is decided by the granted scopes. */
export function createFindAccount(persons: Persons): FindAccount {
  return async (_ctx, sub, token) => {
    const person = await persons.findPerson(sub, token)
    if (!person) return undefined
    if (person.sessionsNotBefore !== null && cutBySignOut(person.sessionsNotBefore, token)) return undefined
    return {
      accountId: person.id,
      async claims() {
        return {
          sub: person.id,
          name: person.name,
          phone_number: `+86${person.phone}`,
          // Issue 3: true once the phone was proven by an SMS code (self-registration).
          phone_number_verified: person.phoneVerified,
        }
      },
    }
  }
}

type TokenLike = { kind?: string; authTime?: number; iat?: number; expiresWithSession?: boolean }

/**
 * Whether what findAccount is asked for was authenticated before the person signed out
 * everywhere (shared/sessions-cutoff.ts):
 * - a code, by its auth_time (a code never outlives the session that issued it);
 * - a refresh or access token bound to its session, by the refresh token's auth_time or the
 *   access token's issue time (it carries no auth_time; one issued after the cut passed this
 *   check as the code or refresh token it came from);
 * - not a token a portal holds offline: those outlive sessions, as in oidc-provider's end_session.
 * A session itself is checked when it is read (store/oidc-adapter.ts): a cut one is no session.
 */
function cutBySignOut(notBeforeMs: number, token: unknown): boolean {
  const t = token as TokenLike | undefined
  if (!t) return false
  if (t.kind === 'AuthorizationCode') return isCutOff(notBeforeMs, t.authTime)
  if ((t.kind === 'RefreshToken' || t.kind === 'AccessToken') && t.expiresWithSession) return isCutOff(notBeforeMs, t.kind === 'RefreshToken' ? t.authTime : t.iat)
  return false
}
