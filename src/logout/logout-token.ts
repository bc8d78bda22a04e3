/*
 * Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4), signed by the provider's own
 * IdToken model so that they carry the same key, algorithm, `sub` (pairwise where the portal
 * has one) and encryption as the portal's ID tokens. A fresh token is signed for every attempt:
 * it lives 120 s, so a retry never sends one a portal must reject as stale.
 */
import { randomUUID } from 'node:crypto'
import type Provider from 'oidc-provider'
import type { Client } from 'oidc-provider'
import type { LogoutTarget } from './types.js'

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** Signs a logout token: typ logout+jwt, iss, aud, iat, exp, jti, sub, events, and sid when the session had one; never a nonce. */
export async function signLogoutToken(provider: Provider, client: Client, target: LogoutTarget): Promise<string> {
  const token = new provider.IdToken({ sub: target.accountId }, { client, ctx: undefined })
  // Only sub is read from the claims; every other claim of the person stays out of the token.
  ;(token as unknown as { mask: Record<string, null> }).mask = { sub: null }
  token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} })
  token.set('jti', randomUUID())
  if (target.sid) token.set('sid', target.sid)
  return token.issue({ use: 'logout' })
}
