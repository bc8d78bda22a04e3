/* Shared steps for the natural-person tests: start a sign-in, read the SMS outbox. */
import type { TestServer } from '../helpers/onedoor.js'
import { discover, startAuthorization, type AuthorizationStart } from '../helpers/relying-party.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

export const REDIRECT_URI = 'http://127.0.0.1:9/callback'
export const atRp = (url: URL) => url.toString().startsWith(REDIRECT_URI)

/** Test overrides: no resend gap, so a test may ask for several codes in a row. */
export const IDENTITY_OVERRIDES = { sms: { resendIntervalSeconds: 0 } }

export async function openLoginPage(server: TestServer, clientId: string, agent = new UserAgent(), params: Record<string, string> = {}): Promise<{ agent: UserAgent; page: PageResponse; start: AuthorizationStart; uid: string }> {
  const config = await discover(server.url, clientId)
  const start = await startAuthorization(config, { redirect_uri: REDIRECT_URI, scope: 'openid profile phone', ...params })
  const page = await agent.get(start.url.toString(), atRp)
  const uid = /\/interaction\/([^/"]+)\/login"/.exec(page.body)?.[1]
  if (!uid) throw new Error(`not at the login page: ${page.status} ${page.body.slice(0, 300)}`)
  return { agent, page, start, uid }
}

/** The newest code sent to `phone` through the log driver's outbox. */
export async function latestCode(server: TestServer, phone: string): Promise<string | undefined> {
  const messages = await server.onedoor.services.smsStore.listOutbox(phone)
  return messages[0]?.params.code
}

export async function outboxCount(server: TestServer, phone?: string): Promise<number> {
  return (await server.onedoor.services.smsStore.listOutbox(phone)).length
}

export async function personCount(server: TestServer): Promise<number> {
  const row = await server.onedoor.db('persons').count({ n: '*' }).first()
  return Number(row?.n ?? 0)
}
