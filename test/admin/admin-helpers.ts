/*
 * Admin test fixtures: a OneDoor whose console does not yet require level 3 (MFA is another
 * issue's; config.admin.requiredAcr = null), administrators granted through the same service
 * the CLI uses, and admin-API access tokens obtained the real way: the console client's code
 * flow through the sign-in pages, with the admin resource indicator (RFC 8707).
 */
import { createAdministration } from '../../src/admin/service.js'
import { shapeScope } from '../../src/admin/scope.js'
import { adminApiResource, CONSOLE_CLIENT_ID } from '../../src/admin/tokens.js'
import { keyFromBase64 } from '../../src/shared/crypto.js'
import { randomIdNumber, startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { findForm, UserAgent, type PageResponse } from '../helpers/user-agent.js'

export interface TestAdmin {
  personId: string
  idNumber: string
  phone: string
  password: string
  role: string
  divisionCode: string
}

export async function startAdminServer(): Promise<TestServer> {
  return startOneDoor({ overrides: { admin: { requiredAcr: null, idleMinutes: 15, maxFailedSignIns: 5, lockMinutes: 30 } } })
}

export function cliAdministration(server: TestServer) {
  const { services, config } = server.onedoor
  return createAdministration({
    config,
    store: services.adminStore,
    audit: services.audit,
    scope: shapeScope,
    clients: services.clients,
    loadJwks: services.keySet.loadSigningJwks,
    keyEncryptionKey: keyFromBase64(config.secrets.keyEncryptionKey),
    piiEncryptionKey: keyFromBase64(config.secrets.piiEncryptionKey),
    piiBlindIndexKey: keyFromBase64(config.secrets.piiBlindIndexKey),
  })
}

/** A person (ID number from `area`) holding `role` over `divisionCode`. */
export async function addAdmin(server: TestServer, role: string, divisionCode: string, area = divisionCode): Promise<TestAdmin> {
  const person = await server.addPerson({ idNumber: randomIdNumber(area.endsWith('00') ? `${area.slice(0, 4)}02` : area), password: 'an admin passphrase long enough' })
  await cliAdministration(server).addAdmin('cli', { login: person.idNumber, role, divisionCode })
  return { personId: person.id, idNumber: person.idNumber, phone: person.phone, password: person.password, role, divisionCode }
}

/** An access token for the admin API, through the real sign-in pages as the console client. */
export async function adminToken(server: TestServer, admin: { idNumber: string; password: string }): Promise<string> {
  const config = await discover(server.url, CONSOLE_CLIENT_ID)
  const redirectUri = `${server.url}/admin/callback`
  const resource = adminApiResource(server.url)
  const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid admin', resource })
  const agent = new UserAgent()
  const { callbackUrl } = await signInThroughPages(agent, start.url, redirectUri, { identifier: admin.idNumber, password: admin.password })
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce }, { resource })
  return tokens.access_token
}

export interface ApiResponse {
  status: number
  body: any
}

export function api(server: TestServer, token: string | undefined) {
  const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<ApiResponse> => {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`${server.url}/admin/api${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // CSV or empty
    }
    return { status: res.status, body: parsed }
  }
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    patch: (path: string, body?: unknown) => call('PATCH', path, body),
    raw: (method: string, path: string, raw: string) => call(method, path, undefined, raw),
  }
}

/** A service system bound to a division, registered directly (fixtures, not the code under test). */
export async function addSystem(server: TestServer, divisionCode: string, name = `系统 ${divisionCode}`) {
  return server.addClient({ name, divisionCode, redirectUris: [`https://portal-${divisionCode}.example.gov.cn/callback`] })
}

/** A browser-like agent signed in to the console through the real pages, and the page it lands on. */
export async function consoleSignIn(server: TestServer, admin: { idNumber: string; password: string }, language = 'zh-CN'): Promise<{ agent: UserAgent; landing: PageResponse }> {
  const agent = new UserAgent({ 'accept-language': language })
  const { callbackUrl } = await signInThroughPages(agent, new URL(`${server.url}/admin/login`), `${server.url}/admin/callback`, { identifier: admin.idNumber, password: admin.password })
  return { agent, landing: await agent.get(callbackUrl.toString()) }
}

/** Opens `pagePath` and submits its POST form whose action contains `action` (CSRF token included). */
export async function submitConsoleForm(server: TestServer, agent: UserAgent, pagePath: string, action: string, fields: Record<string, string>): Promise<PageResponse> {
  const page = await agent.get(`${server.url}${pagePath}`)
  // The POST form (a page may also hold a GET filter form with the same action).
  const form = findForm(page.body.replace(/<form method="get"[\s\S]*?<\/form>/g, ''), action)
  if (!form) throw new Error(`no form ${action} on ${pagePath}`)
  return agent.postForm(new URL(form.action, server.url).toString(), { ...form.hidden, ...fields })
}
