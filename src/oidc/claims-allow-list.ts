/*
 * Claims allow-list per client (issue 4): a system never receives a claim it was not approved
 * for. oidc-provider already refuses unapproved scopes at the authorization endpoint
 * (client.scope); this filter also covers grants made before a client's approval was narrowed.
 * Claims that belong to no scope (sub, acr, …) pass.
 */
import type { FindAccount, KoaContextWithOIDC } from 'oidc-provider'

export function restrictClaimsToClientScope(findAccount: FindAccount, claimsByScope: Record<string, readonly string[]>): FindAccount {
  const scopesOfClaim = new Map<string, string[]>()
  for (const [scope, claims] of Object.entries(claimsByScope)) {
    for (const claim of claims) scopesOfClaim.set(claim, [...(scopesOfClaim.get(claim) ?? []), scope])
  }
  return async (ctx, sub, token) => {
    const account = await findAccount(ctx, sub, token)
    const allowed = allowedScopes(ctx)
    if (!account || !allowed) return account
    return {
      ...account,
      async claims(use, scope, claims, rejected) {
        const all = await account.claims(use, scope, claims, rejected)
        const out: Record<string, unknown> = {}
        for (const [name, value] of Object.entries(all)) {
          const scopes = scopesOfClaim.get(name)
          if (!scopes || scopes.some((s) => allowed.has(s))) out[name] = value
        }
        return out as typeof all
      },
    }
  }
}

function allowedScopes(ctx: KoaContextWithOIDC | undefined): Set<string> | undefined {
  const scope = ctx?.oidc?.client?.scope
  return typeof scope === 'string' ? new Set(scope.split(' ')) : undefined
}
