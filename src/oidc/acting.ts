/*
 * Acting for an enterprise (RFC 8693 actor semantics): the session always belongs to the natural
 * person; each oidc-provider grant records whom it acts for (self or one enterprise), one grant
 * per person, client and subject. Whether the person may still act for that enterprise is checked
 * at every token issuance and refresh (findAccount), so a revoked or expired mandate fails there.
 */
import type Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { ActingOption, Mandates } from '../accounts/index.js'
import type { ReadWith } from '../store/read-along.js'

/** Storage of which grant acts for whom (implemented by src/store/enterprises.ts). */
export interface ActingGrantStore {
  recordActingGrant(row: { grantId: string; personId: string; clientId: string; enterpriseId: string | null; createdAt: number }): Promise<void>
  /** `readWith`: the token this is asked for (its lookup may have read the row already). */
  findActingGrant(grantId: string, readWith?: ReadWith): Promise<{ personId: string; clientId: string; enterpriseId: string | null } | undefined>
  findActingGrantId(personId: string, clientId: string, enterpriseId: string | null): Promise<string[]>
}

export interface ActingGrantsDeps {
  store: ActingGrantStore
  mandates: Pick<Mandates, 'checkActing'>
  now?: () => number
}

/** What a token stands for: the person alone, or the person acting for an enterprise; 'invalid' when no longer allowed. */
export type ActingContext = { kind: 'self' } | { kind: 'enterprise'; option: ActingOption } | { kind: 'invalid' }

export type ActingGrants = ReturnType<typeof createActingGrants>

export function createActingGrants(deps: ActingGrantsDeps) {
  const now = deps.now ?? Date.now
  const memo = new WeakMap<object, Map<string, Promise<ActingContext>>>()
  return { findSubject, grantFor, resolve }

  /** The enterprise a grant acts for, or null (self, or a grant made outside the identity step). */
  async function findSubject(grantId: string): Promise<string | null> {
    return (await deps.store.findActingGrant(grantId))?.enterpriseId ?? null
  }

  /** The grant to use for this person, client and subject: the last one still stored, or a new empty one. */
  async function grantFor(provider: Provider, personId: string, clientId: string, enterpriseId: string | null): Promise<string> {
    for (const grantId of await deps.store.findActingGrantId(personId, clientId, enterpriseId)) {
      const grant = await provider.Grant.find(grantId)
      if (grant && grant.accountId === personId && grant.clientId === clientId) return grantId
    }
    const grant = new provider.Grant({ accountId: personId, clientId })
    const grantId = await grant.save()
    await deps.store.recordActingGrant({ grantId, personId, clientId, enterpriseId, createdAt: now() })
    return grantId
  }

  /** The acting context of a token (code, access or refresh token), checked now; memoised per request. */
  function resolve(ctx: object | undefined, token: ActingToken | undefined): Promise<ActingContext> {
    if (!token?.grantId) return Promise.resolve({ kind: 'self' })
    const key = ctx ?? token
    let byGrant = memo.get(key)
    if (!byGrant) memo.set(key, (byGrant = new Map()))
    let pending = byGrant.get(token.grantId)
    if (!pending) {
      pending = check(token.grantId, token)
      byGrant.set(token.grantId, pending)
    }
    return pending
  }

  async function check(grantId: string, token: ActingToken): Promise<ActingContext> {
    const recorded = await deps.store.findActingGrant(grantId, token)
    if (!recorded?.enterpriseId) return { kind: 'self' }
    const option = await deps.mandates.checkActing(recorded.personId, recorded.enterpriseId, token.clientId ?? recorded.clientId)
    return option ? { kind: 'enterprise', option } : { kind: 'invalid' }
  }
}

/** A code, access or refresh token (oidc-provider model: kind and jti identify it). */
export type ActingToken = ReadWith & { grantId?: string; clientId?: string }

/** The token findAccount was called for, if any (AccessToken at userinfo; the code or refresh token at the token endpoint). */
export function tokenOf(ctx: KoaContextWithOIDC | undefined, token: unknown): ActingToken | undefined {
  const t = token as ActingToken | undefined
  return t?.grantId ? t : undefined
}
