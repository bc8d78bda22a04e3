/*
 * Claims of issue 3's token contract, added around findAccount (outermost, so nothing re-wraps
 * the account afterwards):
 *   person_type (natural | legal), always;
 *   id_number, only for a client approved for it (its approved scopes list id_number explicitly)
 *     whose consent screen is shown (the grant then records the person's consent);
 *   legal_person: uscc, org_name, org_type, agent_role, act { sub, name } (RFC 8693 §4.1).
 * When the token acts for an enterprise, `sub` is the enterprise's (pairwise where the client is),
 * and the natural person appears as the actor. oidc-provider forces sub = account.accountId, and
 * the access token must keep the person's account id (its grant is the person's), so accountId
 * reads as the person's until the access token exists and as the enterprise's after: ID token
 * and userinfo then carry the enterprise's sub while every stored token stays the person's.
 */
import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider'
import { tokenOf, type ActingGrants } from './acting.js'

export interface IdentityClaimsDeps {
  acting: Pick<ActingGrants, 'resolve'>
  revealIdNumber: (personId: string) => Promise<string | undefined>
}

export const IDENTITY_CLAIMS = {
  id_number: ['id_number'],
  legal_person: ['uscc', 'org_name', 'org_type', 'agent_role', 'act'],
} as const

/** The property of a client's metadata naming its consent policy (issue 4); 'implicit' skips the consent screen. */
const CONSENT_POLICY_PROPERTY = 'onedoor_consent_policy'

export function withIdentityClaims(
  findAccount: FindAccount,
  deps: IdentityClaimsDeps,
  subjectFor: (ctx: KoaContextWithOIDC, accountId: string) => Promise<string>,
): FindAccount {
  return async (ctx, sub, token) => {
    const account = await findAccount(ctx, sub, token)
    if (!account) return account
    const acting = await deps.acting.resolve(ctx, tokenOf(ctx, token))
    if (acting.kind === 'invalid') return undefined // mandate revoked or expired: invalid_grant / invalid_token
    const personId = account.accountId
    const wrapped: Account = {
      get accountId() {
        return acting.kind === 'enterprise' && ctx?.oidc?.entities?.AccessToken ? acting.option.enterprise.id : personId
      },
      async claims(use, scope, claims, rejected) {
        const base = await account.claims(use, scope, claims, rejected)
        const scopes = new Set(String(scope ?? '').split(' '))
        const out: Record<string, unknown> = { ...base, person_type: acting.kind === 'enterprise' ? 'legal' : 'natural' }
        if (scopes.has('id_number') && isApprovedForIdNumber(ctx)) {
          const idNumber = await deps.revealIdNumber(personId)
          if (idNumber) out.id_number = idNumber
        }
        if (acting.kind === 'enterprise' && scopes.has('legal_person')) {
          const { enterprise, role } = acting.option
          Object.assign(out, {
            uscc: enterprise.uscc,
            org_name: enterprise.name,
            org_type: enterprise.kind,
            agent_role: role,
            act: { sub: await subjectFor(ctx, personId), name: base.name },
          })
        }
        return out as typeof base
      },
    }
    return wrapped
  }
}

function isApprovedForIdNumber(ctx: KoaContextWithOIDC | undefined): boolean {
  const client = ctx?.oidc?.client as unknown as Record<string, unknown> | undefined
  if (!client) return false
  const approved = typeof client.scope === 'string' && client.scope.split(' ').includes('id_number')
  return approved && client[CONSENT_POLICY_PROPERTY] !== 'implicit'
}
