/*
 * Shortcuts for foundation tests: a full sign-in through the real pages with openid-client
 * as the relying party, and raw OAuth requests for the cases openid-client refuses to send
 * (bad input, replays, parallel redemptions).
 */
import { startOneDoor, type TestServer } from './onedoor.js'
import { discover, oidc, signInThroughPages, startAuthorization, type AuthorizationStart } from './relying-party.js'
import { UserAgent } from './user-agent.js'

export interface TestClient {
  clientId: string
  clientSecret?: string
}

export interface TestPerson {
  id: string
  idNumber: string
  phone: string
  password: string
  name: string
}

export interface SignedIn {
  config: oidc.Configuration
  agent: UserAgent
  start: AuthorizationStart
  callbackUrl: URL
  tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
}

/** Signs `person` in to `client` through the login and consent pages and redeems the code. */
export async function signIn(
  server: Pick<TestServer, 'url'>,
  client: TestClient,
  person: TestPerson,
  options: { redirectUri: string; scope?: string; params?: Record<string, string>; agent?: UserAgent },
): Promise<SignedIn> {
  const { callbackUrl, start, config, agent } = await authorize(server, client, person, options)
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  return { config, agent, start, callbackUrl, tokens }
}

/** Like signIn, but stops at the redirect_uri with the code unredeemed. */
export async function authorize(
  server: Pick<TestServer, 'url'>,
  client: TestClient,
  person: TestPerson,
  options: { redirectUri: string; scope?: string; params?: Record<string, string>; agent?: UserAgent },
) {
  const config = await discover(server.url, client.clientId, client.clientSecret)
  const start = await startAuthorization(config, { redirect_uri: options.redirectUri, scope: options.scope ?? 'openid profile', ...options.params })
  const agent = options.agent ?? new UserAgent()
  const { callbackUrl } = await signInThroughPages(agent, start.url, options.redirectUri, { identifier: person.idNumber, password: person.password })
  return { config, start, agent, callbackUrl }
}

export function basicAuth(client: TestClient): string {
  const encode = (value: string) => encodeURIComponent(value)
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret ?? '')}`).toString('base64')}`
}

export interface RawResponse {
  status: number
  body: Record<string, unknown>
  headers: Headers
}

/**
 * POSTs a form to an endpoint of the server. A confidential client authenticates with HTTP
 * Basic; a public one sends its client_id in the body.
 */
export async function postForm(server: TestServer, endpoint: string, fields: Record<string, string>, client?: TestClient): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
  const body = { ...fields }
  if (client?.clientSecret) headers.authorization = basicAuth(client)
  else if (client) body.client_id = client.clientId
  const response = await fetch(`${server.url}${endpoint}`, { method: 'POST', headers, body: new URLSearchParams(body).toString() })
  const text = await response.text()
  let parsed: Record<string, unknown> = {}
  try {
    parsed = text ? JSON.parse(text) : {}
  } catch {
    parsed = { text }
  }
  return { status: response.status, body: parsed, headers: response.headers }
}

/** Introspects `token` as `client` (a confidential client may introspect any client's token). */
export async function introspect(server: TestServer, client: TestClient, token: string): Promise<Record<string, unknown>> {
  const response = await postForm(server, '/token/introspection', { token }, client)
  if (response.status !== 200) throw new Error(`introspection answered ${response.status}: ${JSON.stringify(response.body)}`)
  return response.body
}

/** Calls userinfo with a bearer token and returns the status. */
export async function userinfoStatus(server: TestServer, accessToken: string): Promise<number> {
  const response = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } })
  await response.arrayBuffer()
  return response.status
}

/** Polls `check` until it returns a value (for work the server finishes after answering). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i += 1) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`gave up waiting for ${what}`)
}

export interface SignInServer {
  server: TestServer
  /** A confidential client (it has a secret) with `redirectUri`. */
  client: TestClient
  person: TestPerson
}

/**
 * For the enclosing `describe`: a fresh server with one confidential client on `redirectUri` and
 * one person, closed after the block. The fields are set once `before` has run.
 */
export function useSignInServer(redirectUri: string): SignInServer {
  const env = {} as SignInServer
  before(async () => {
    env.server = await startOneDoor()
    env.client = await env.server.addClient({ redirectUris: [redirectUri] })
    env.person = await env.server.addPerson()
  })
  after(async () => env.server?.close())
  return env
}

/** `useSignInServer` plus a public client (no secret, PKCE only) on the same `redirectUri`. */
export interface ClientPairServer extends SignInServer {
  publicClient: TestClient
}

/** For the enclosing `describe`: the server of `useSignInServer` with a public client as well. */
export function useClientPairServer(redirectUri: string): ClientPairServer {
  const env = useSignInServer(redirectUri) as ClientPairServer
  before(async () => {
    env.publicClient = await env.server.addClient({ redirectUris: [redirectUri], public: true })
  })
  return env
}

/**
 * Waits for the next wall-clock second. Signing out everywhere refuses what was authenticated in
 * its own second too (src/shared/sessions-cutoff.ts), so a test that signs in again right after
 * one waits for that second to pass, as a person typing a password always has.
 */
export async function afterThisSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5))
}
