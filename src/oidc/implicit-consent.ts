/*
 * Consent policy 'implicit' (government portals): the consent screen is skipped, but a grant
 * is still created and saved, so it is listed in the account centre and can be revoked there.
 * Only scopes the client is approved for (client.scope) ever reach the grant: oidc-provider
 * rejects others before this runs. Clients with policy 'explicit' keep the default behaviour.
 */
import type { KoaContextWithOIDC } from 'oidc-provider'
import { CLIENT_CONSENT_POLICY_PROPERTY } from '../federation/index.js'

export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, provider } = ctx.oidc
  if (!client || !session) return undefined
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId)
  const existing = grantId ? await provider.Grant.find(grantId) : undefined
  if ((client as unknown as Record<string, unknown>)[CLIENT_CONSENT_POLICY_PROPERTY] !== 'implicit' || !session.accountId) return existing

  const grant = existing ?? new provider.Grant({ accountId: session.accountId, clientId: client.clientId })
  const requested = String(ctx.oidc.params?.scope ?? 'openid').split(' ').filter(Boolean)
  const missing = requested.filter((scope) => !grant.getOIDCScope().split(' ').includes(scope))
  if (existing && missing.length === 0) return existing
  if (missing.length > 0) grant.addOIDCScope(missing.join(' '))
  await grant.save()
  return grant
}
