/* A real relying party: openid-client 6 against the OneDoor under test. */
import * as oidc from 'openid-client'
import { UserAgent, type PageResponse } from './user-agent.js'

export async function discover(issuer: string, clientId: string, clientSecret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, clientSecret, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  })
}

export interface AuthorizationStart {
  url: URL
  codeVerifier: string
  state: string
  nonce: string
}

export async function startAuthorization(config: oidc.Configuration, params: Record<string, string>): Promise<AuthorizationStart> {
  const codeVerifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const url = oidc.buildAuthorizationUrl(config, {
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  })
  return { url, codeVerifier, state, nonce }
}

/**
 * Drives the real login and consent pages as a user would and returns the URL the browser
 * lands on at the relying party's redirect_uri.
 */
export async function signInThroughPages(agent: UserAgent, authorizationUrl: URL, redirectUri: string, credentials: { identifier: string; password: string }): Promise<{ callbackUrl: URL; pages: PageResponse[] }> {
  const atRp = (url: URL) => url.toString().startsWith(redirectUri)
  const pages: PageResponse[] = []
  let page = await agent.get(authorizationUrl.toString(), atRp)
  for (let step = 0; step < 5 && page.status !== 0; step += 1) {
    pages.push(page)
    if (page.body.includes('/login"')) {
      page = await agent.submit(page, '/login', credentials, atRp)
    } else if (page.body.includes('/confirm"')) {
      page = await agent.submit(page, '/confirm', {}, atRp)
    } else {
      throw new Error(`unexpected page ${page.status} at ${page.url}: ${page.body.slice(0, 400)}`)
    }
  }
  if (page.status !== 0) throw new Error('sign-in did not reach the relying party')
  return { callbackUrl: new URL(page.url), pages }
}

export { oidc }
