/*
 * Our Config (plus dependencies) -> oidc-provider's Configuration, as a pure function so a
 * unit test can assert on it without starting anything. The provider validates it again
 * at construction, still before the server listens.
 */
import type { Configuration, KoaContextWithOIDC, FindAccount, Adapter } from 'oidc-provider'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'

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
}

export const CLAIMS = {
  openid: ['sub'],
  profile: ['name'],
  phone: ['phone_number', 'phone_number_verified'],
} as const

export function buildConfiguration(config: Config, deps: ConfigurationDeps): Configuration {
  const secureCookies = config.issuer.startsWith('https://')
  const cookieOptions = { signed: true, httpOnly: true, sameSite: 'lax' as const, secure: secureCookies }
  const algs = [...config.keys.algorithms]

  return {
    adapter: deps.adapter,
    findAccount: deps.findAccount,
    jwks: { keys: deps.jwks as never[] },
    claims: Object.fromEntries(Object.entries(CLAIMS).map(([k, v]) => [k, [...v]])),
    scopes: ['openid', 'offline_access', 'profile', 'phone'],
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
      keys: [...config.secrets.cookieKeys],
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
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
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
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: deps.pages.renderError,
    fetch: deps.fetch as Configuration['fetch'],
  }
}
