/*
 * The grant a new authorization starts from (oidc-provider's loadExistingGrant). Only scopes the
 * client is approved for (client.scope) ever reach a grant: oidc-provider rejects others before
 * this runs.
 * - The session's own grant for the client, when it has one.
 * - Consent policy 'implicit' (government portals): the consent screen is skipped, but a grant is
 *   still created and saved, so it is listed in the account centre and can be revoked there.
 * - Consent policy 'explicit': a person who allowed the portal before, in an earlier session, is
 *   not asked again for what they allowed (remembered consent, src/store/consents.ts). The grant
 *   gets the requested scopes the person allowed; whatever else the portal asks for still goes
 *   to the consent screen, which then remembers it too. prompt=consent always shows the screen
 *   (oidc-provider asks for consent whatever the grant holds), and revoking the portal in the
 *   account centre forgets the consent.
 */
import type { KoaContextWithOIDC } from 'oidc-provider'
import { CLIENT_CONSENT_POLICY_PROPERTY } from '../federation/index.js'

export interface RememberedConsents {
  find(personId: string, clientId: string): Promise<{ scopes: string[]; claims: string[] } | undefined>
}

type Grant = InstanceType<KoaContextWithOIDC['oidc']['provider']['Grant']>

export function createLoadExistingGrant(remembered?: RememberedConsents) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { client, session, provider } = ctx.oidc
    if (!client || !session) return undefined
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId)
    const existing = grantId ? await provider.Grant.find(grantId) : undefined
    const accountId = session.accountId
    if (!accountId) return existing
    if ((client as unknown as Record<string, unknown>)[CLIENT_CONSENT_POLICY_PROPERTY] === 'implicit') return grantEverythingRequested(ctx, accountId, existing)
    if (existing || !remembered) return existing
    return grantFromRememberedConsent(ctx, accountId, remembered)
  }
}

async function grantEverythingRequested(ctx: KoaContextWithOIDC, accountId: string, existing: Grant | undefined): Promise<Grant> {
  const grant = existing ?? new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client!.clientId })
  const missing = requestedScopes(ctx).filter((scope) => !grant.getOIDCScope().split(' ').includes(scope))
  if (existing && missing.length === 0) return existing
  if (missing.length > 0) grant.addOIDCScope(missing.join(' '))
  await grant.save()
  return grant
}

async function grantFromRememberedConsent(ctx: KoaContextWithOIDC, accountId: string, remembered: RememberedConsents): Promise<Grant | undefined> {
  const clientId = ctx.oidc.client!.clientId
  const consent = await remembered.find(accountId, clientId)
  if (!consent) return undefined
  const allowed = requestedScopes(ctx).filter((scope) => consent.scopes.includes(scope))
  if (allowed.length === 0) return undefined
  const grant = new ctx.oidc.provider.Grant({ accountId, clientId })
  grant.addOIDCScope(allowed.join(' '))
  if (consent.claims.length > 0) grant.addOIDCClaims(consent.claims)
  await grant.save()
  return grant
}

function requestedScopes(ctx: KoaContextWithOIDC): string[] {
  return String(ctx.oidc.params?.scope ?? 'openid').split(' ').filter(Boolean)
}
