/*
 * Shared pieces of the single sign-on / single logout tests: portals (openid-client relying
 * parties with a back-channel receiver each), sign-in with and without credentials, and
 * RP-initiated logout through the real pages.
 */
import assert from 'node:assert/strict'
import type { TestServer } from '../helpers/onedoor.js'
import { startReceiver, type Receiver } from '../helpers/backchannel-receivers.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import type { PageResponse, UserAgent } from '../helpers/user-agent.js'

export interface Portal {
  name: string
  clientId: string
  config: oidc.Configuration
  redirectUri: string
  postLogoutUri: string
  receiver: Receiver
}

export interface PortalSignIn {
  tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
  claims: oidc.IDToken
  /** Pages OneDoor showed on the way (none when the session was reused silently). */
  pages: PageResponse[]
}

export type Person = { id: string; idNumber: string; password: string }

/** Registers a portal (its own pairwise sector, consent implicit as for government portals) with a live back-channel receiver. */
export async function addPortal(server: Pick<TestServer, 'url' | 'addClient'>, name: string, options: { backchannel?: boolean; implicitConsent?: boolean } = {}): Promise<Portal> {
  const receiver = await startReceiver()
  const redirectUri = `http://127.0.0.1:9/${name}/callback`
  const postLogoutUri = `http://127.0.0.1:9/${name}/signed-out`
  const client = await server.addClient({
    name,
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [postLogoutUri],
    ...(options.backchannel === false ? {} : { backchannelLogoutUri: receiver.url }),
    pairwise: true,
    consentPolicy: options.implicitConsent === false ? 'explicit' : 'implicit',
  })
  const config = await discover(server.url, client.clientId, client.clientSecret)
  return { name, clientId: client.clientId, config, redirectUri, postLogoutUri, receiver }
}

/** Signs in at a portal: the login page with credentials when asked, otherwise whatever OneDoor shows. */
export async function signInAt(agent: UserAgent, portal: Portal, person: Person, params: Record<string, string> = {}): Promise<PortalSignIn> {
  const start = await startAuthorization(portal.config, { redirect_uri: portal.redirectUri, scope: 'openid profile', ...params })
  const { callbackUrl, pages } = await signInThroughPages(agent, start.url, portal.redirectUri, { identifier: person.idNumber, password: person.password })
  const tokens = await oidc.authorizationCodeGrant(portal.config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  return { tokens, claims: tokens.claims()!, pages }
}

/** Signs in at a portal with the OneDoor session alone: fails if a login form appears (a consent page is accepted). */
export async function signInWithoutCredentials(agent: UserAgent, portal: Portal, params: Record<string, string> = {}): Promise<PortalSignIn> {
  const start = await startAuthorization(portal.config, { redirect_uri: portal.redirectUri, scope: 'openid profile', ...params })
  const atPortal = (url: URL) => url.toString().startsWith(portal.redirectUri)
  const pages: PageResponse[] = []
  let page = await agent.get(start.url.toString(), atPortal)
  while (page.status !== 0) {
    pages.push(page)
    assert.ok(!page.body.includes('name="password"'), `${portal.name}: no login form without credentials`)
    assert.ok(page.body.includes('/confirm"') && pages.length < 3, `${portal.name}: unexpected page ${page.status} at ${page.url}`)
    page = await agent.submit(page, '/confirm', {}, atPortal)
  }
  const tokens = await oidc.authorizationCodeGrant(portal.config, new URL(page.url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  return { tokens, claims: tokens.claims()!, pages }
}

/** prompt=none at a portal: the authorization response's error, or undefined with the code redeemed. */
export async function silentSignIn(agent: UserAgent, portal: Portal, params: Record<string, string> = {}): Promise<{ error?: string; claims?: oidc.IDToken }> {
  const start = await startAuthorization(portal.config, { redirect_uri: portal.redirectUri, scope: 'openid profile', prompt: 'none', ...params })
  const page = await agent.get(start.url.toString(), (url) => url.toString().startsWith(portal.redirectUri))
  assert.equal(page.status, 0, `${portal.name}: prompt=none answers with a redirect to the portal`)
  const callbackUrl = new URL(page.url)
  const error = callbackUrl.searchParams.get('error')
  if (error) return { error }
  const tokens = await oidc.authorizationCodeGrant(portal.config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  return { claims: tokens.claims()! }
}

/** RP-initiated logout from a portal, confirmed on OneDoor's logout page; returns the URL the browser lands on. */
export async function logoutAt(agent: UserAgent, portal: Portal, idToken: string): Promise<URL> {
  const endSession = oidc.buildEndSessionUrl(portal.config, { id_token_hint: idToken, post_logout_redirect_uri: portal.postLogoutUri, state: 'bye' })
  const atPortal = (url: URL) => url.toString().startsWith(portal.postLogoutUri)
  const page = await agent.get(endSession.toString(), atPortal)
  assert.equal(page.status, 200, 'OneDoor asks to confirm the logout')
  const landed = await agent.submit(page, '/session/end/confirm', { logout: 'yes' }, atPortal)
  assert.equal(landed.status, 0, 'the logout ends at the portal')
  return new URL(landed.url)
}

export async function closePortals(portals: Portal[]): Promise<void> {
  await Promise.all(portals.map((p) => p.receiver.close()))
}
