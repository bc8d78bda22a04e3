/*
 * Verifies the JWTs OneDoor itself signs for the administration: access tokens for the admin
 * API resource (RFC 9068, typ at+jwt) and the console's ID tokens. Keys are the provider's own
 * signing keys, public parts only, re-read at most every 30 s so a rotation is followed.
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import type { Jwk } from '../keys/index.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

export const CONSOLE_CLIENT_ID = 'onedoor-admin-console'
export const ADMIN_API_SCOPE = 'admin'

export function adminApiResource(issuer: string): string {
  return `${issuer}/admin/api`
}

export function createTokenVerifier(deps: { issuer: string; loadJwks: () => Promise<Jwk[]> }) {
  let cached: { at: number; jwks: ReturnType<typeof createLocalJWKSet> } | undefined

  async function keys() {
    if (cached && Date.now() - cached.at < 30_000) return cached.jwks
    const publicKeys = (await deps.loadJwks()).map((jwk) => Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.includes(k))))
    cached = { at: Date.now(), jwks: createLocalJWKSet({ keys: publicKeys as never[] }) }
    return cached.jwks
  }

  return {
    /** The payload of a valid admin-API access token, or undefined. */
    async accessToken(token: string): Promise<JWTPayload | undefined> {
      try {
        const { payload } = await jwtVerify(token, await keys(), { issuer: deps.issuer, audience: adminApiResource(deps.issuer), typ: 'at+jwt' })
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
        return scopes.includes(ADMIN_API_SCOPE) && typeof payload.sub === 'string' ? payload : undefined
      } catch {
        return undefined
      }
    },
    async idToken(token: string, nonce: string): Promise<JWTPayload | undefined> {
      try {
        const { payload } = await jwtVerify(token, await keys(), { issuer: deps.issuer, audience: CONSOLE_CLIENT_ID })
        return payload.nonce === nonce && typeof payload.sub === 'string' ? payload : undefined
      } catch {
        return undefined
      }
    },
  }
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>
