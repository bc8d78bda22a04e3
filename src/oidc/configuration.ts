/*
 * Our Config (plus dependencies) -> oidc-provider's Configuration, as a pure function so a
 * unit test can assert on it without starting anything. The provider validates it again
 * at construction, still before the server listens.
 */
import type { Configuration, KoaContextWithOIDC, FindAccount, Adapter } from 'oidc-provider'
import { errors } from 'oidc-provider'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'
import { CookieKeygrip } from '../http/cookie-keygrip.js'
import { derivePairwiseKey, federationMetadataProblem, FEDERATION_CLIENT_PROPERTIES, pairwiseSubject, CLIENT_SECTOR_PROPERTY } from '../federation/index.js'
import { restrictClaimsToClientScope } from './claims-allow-list.js'
import { ADMIN_API_SCOPE, adminApiResource, CONSOLE_CLIENT_ID } from '../admin/tokens.js'
import { createLoadExistingGrant, type RememberedConsents } from './existing-grant.js'
import { IDENTITY_CLAIMS, withIdentityClaims, type IdentityClaimsDeps } from './identity-claims.js'
import type { interactionPolicy } from 'oidc-provider'

export interface ConfigurationDeps {
  adapter: new (name: string) => Adapter
  findAccount: FindAccount
  jwks: Jwk[]
  fetch: (url: URL | string, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>
  pages: {
    renderError: NonNullable<Configuration['renderError']>
    logoutSource: (ctx: KoaContextWithOIDC, form: string) => Promise<void>
    postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => Promise<void>
  }
  /** Issue 3: login -> identity -> assurance -> consent (src/oidc/policy.ts); the default policy when absent. */
  policy?: interactionPolicy.DefaultPolicy
  /** Issue 3: person_type, id_number, legal_person claims and the enterprise's sub (src/oidc/identity-claims.ts). */
  identityClaims?: IdentityClaimsDeps
  /** What persons allowed portals in earlier sessions (src/oidc/existing-grant.ts); without it, consent lasts one session. */
  rememberedConsents?: RememberedConsents
}

export const CLAIMS = {
  // acr, amr and auth_time in every ID token (issue 3): they state the level reached and how.
  openid: ['sub', 'person_type', 'acr', 'amr', 'auth_time'],
  profile: ['name'],
  phone: ['phone_number', 'phone_number_verified'],
  ...IDENTITY_CLAIMS,
} as const

export function buildConfiguration(config: Config, deps: ConfigurationDeps): Configuration {
  const secureCookies = config.issuer.startsWith('https://')
  const cookieOptions = { signed: true, httpOnly: true, sameSite: 'lax' as const, secure: secureCookies }
  const algs = [...config.keys.algorithms]
  const identityClaims = (findAccount: FindAccount): FindAccount => {
    if (!deps.identityClaims) return findAccount
    // act.sub is the person's sub for this client: pairwise where the client is.
    const pairwise = federationPairwiseIdentifier(config)
    return withIdentityClaims(findAccount, deps.identityClaims, async (ctx, accountId) =>
      ctx.oidc.client?.subjectType === 'pairwise' ? pairwise(ctx, accountId, ctx.oidc.client) : accountId)
  }

  return {
    adapter: deps.adapter,
    // Federation (issue 4): a client never receives claims of scopes it is not approved for.
    // The allow-list is the outermost wrapper, so it also covers the identity claims.
    findAccount: restrictClaimsToClientScope(identityClaims(deps.findAccount), CLAIMS),
    jwks: { keys: deps.jwks as never[] },
    claims: Object.fromEntries(Object.entries(CLAIMS).map(([k, v]) => [k, [...v]])),
    scopes: ['openid', 'offline_access', 'profile', 'phone', 'id_number', 'legal_person'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: algs,
      userinfoSigningAlgValues: algs,
      introspectionSigningAlgValues: algs,
      authorizationSigningAlgValues: algs,
      requestObjectSigningAlgValues: algs,
      clientAuthSigningAlgValues: algs,
    },
    cookies: {
      // keygrip's format without its costly comparison (see cookie-keygrip.ts).
      keys: new CookieKeygrip(config.secrets.cookieKeys),
      long: cookieOptions,
      short: cookieOptions,
    },
    ttl: {
      AccessToken: config.tokens.accessTokenSeconds,
      AuthorizationCode: config.tokens.authorizationCodeSeconds,
      ClientCredentials: config.tokens.clientCredentialsSeconds,
      IdToken: config.tokens.idTokenSeconds,
      RefreshToken: config.tokens.refreshTokenSeconds,
      Session: config.tokens.sessionSeconds,
      Interaction: config.tokens.interactionSeconds,
      Grant: config.tokens.grantSeconds,
    },
    features: {
      claimsParameter: { enabled: true },
      devInteractions: { enabled: false },
      // A confidential client (a portal back-end acting as resource server) may introspect any
      // token; a public one only its own. Stated here so the choice is ours, not a default.
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      // RFC 7009 §2.1: a client revokes only tokens issued to it; others are refused.
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true
          if (client.clientAuthMethod === 'none') return false
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token')
        },
      },
      clientCredentials: { enabled: true },
      // Administration (issue 5): the admin console may ask for a JWT access token for the admin
      // API resource (RFC 8707). Every other resource is refused, so every other client keeps
      // getting opaque userinfo access tokens.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: async (_ctx, indicator, client) => {
          if (indicator !== adminApiResource(config.issuer) || client.clientId !== CONSOLE_CLIENT_ID) throw new errors.InvalidTarget()
          return { scope: ADMIN_API_SCOPE, audience: indicator, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } }
        },
      },
      userinfo: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: deps.pages.logoutSource,
        postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
      },
    },
    // Portals get a refresh token whenever they are registered for the grant; offline_access is
    // not required, since portal sessions are short and bound to the OneDoor session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Public clients (no secret) rotate every time: a replayed old token then revokes the grant.
    rotateRefreshToken: (ctx) => {
      const { RefreshToken: refreshToken, Client: client } = ctx.oidc.entities
      if (!refreshToken || !client) return false
      if (client.clientAuthMethod === 'none') return true
      return refreshToken.ttlPercentagePassed() >= 70
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, ...(deps.policy ? { policy: deps.policy } : {}) },
    // Issue 3: real-name assurance levels, published as acr_values_supported; the claims parameter
    // lets a client ask for an acr as essential.
    acrValues: [config.assurance.acrByLevel['1'], config.assurance.acrByLevel['2'], config.assurance.acrByLevel['3']],
    // Federation (issue 4): pairwise sub per sector (federated systems), consent policy per client.
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: federationPairwiseIdentifier(config),
    extraClientMetadata: {
      properties: [...FEDERATION_CLIENT_PROPERTIES],
      validator(_ctx, key, value) {
        const problem = federationMetadataProblem(key, value)
        if (problem) throw new errors.InvalidClientMetadata(problem)
      },
    },
    loadExistingGrant: createLoadExistingGrant(deps.rememberedConsents),
    // Administration (issue 5): admin-API access tokens carry the sign-in's acr, so the API can
    // require level 3 as the console does. Other tokens get nothing extra.
    extraTokenClaims: async (ctx, token) => {
      if ((token as { resourceServer?: { audience?: string } }).resourceServer?.audience !== adminApiResource(config.issuer)) return undefined
      const acr = (ctx.oidc.entities as { AuthorizationCode?: { acr?: string } }).AuthorizationCode?.acr
      return acr ? { acr } : undefined
    },
    renderError: deps.pages.renderError,
    fetch: deps.fetch as Configuration['fetch'],
  }
}

/** sub = HMAC(key, sector, account); the sector comes from the clients table (client id by default). */
function federationPairwiseIdentifier(config: Config): NonNullable<Configuration['pairwiseIdentifier']> {
  const key = derivePairwiseKey(Buffer.from(config.secrets.piiBlindIndexKey, 'base64'))
  return async (_ctx, accountId, client) => {
    const sector = (client as unknown as Record<string, unknown>)[CLIENT_SECTOR_PROPERTY]
    return pairwiseSubject(key, typeof sector === 'string' ? sector : client.clientId, accountId)
  }
}
