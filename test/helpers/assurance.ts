/*
 * Helpers for the assurance, TOTP and legal-person tests (issue 3, identity-B): a sign-in walker
 * that drives the real pages (login, acting-for choice, TOTP, consent) and fixtures that put a
 * person at level 2 or enrol an authenticator through the real services.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { totpCodeAt } from '../../src/mfa/index.js'
import type { TestServer } from './onedoor.js'
import type { PageResponse, UserAgent } from './user-agent.js'

export const ACR = { 1: 'urn:onedoor:loa:1', 2: 'urn:onedoor:loa:2', 3: 'urn:onedoor:loa:3' } as const

export interface WalkOptions {
  identifier: string
  password: string
  /** Code for the TOTP page; no function, or undefined returned = stop there. */
  totp?: () => string | undefined
  /** Value for the acting-for page ('self' or an enterprise id); undefined = stop there. */
  actAs?: (page: PageResponse) => string
}

/** Walks the sign-in pages until the relying party's redirect_uri (callbackUrl) or a page it has no answer for. */
export async function walkSignIn(agent: UserAgent, url: URL | string, redirectUri: string, options: WalkOptions): Promise<{ callbackUrl?: URL; page: PageResponse; pages: PageResponse[] }> {
  const atRp = (u: URL) => u.toString().startsWith(redirectUri)
  const pages: PageResponse[] = []
  let page = await agent.get(url.toString(), atRp)
  for (let step = 0; step < 10; step += 1) {
    if (page.status === 0) return { callbackUrl: new URL(page.url), page, pages }
    pages.push(page)
    if (page.body.includes('/login"')) page = await agent.submit(page, '/login', { identifier: options.identifier, password: options.password }, atRp)
    else if (page.body.includes('/act"') && options.actAs) page = await agent.submit(page, '/act', { subject: options.actAs(page) }, atRp)
    else if (page.body.includes('/totp"') && options.totp) {
      const code = options.totp()
      if (code === undefined) return { page, pages }
      page = await agent.submit(page, '/totp', { code }, atRp)
    } else if (page.body.includes('/confirm"')) page = await agent.submit(page, '/confirm', {}, atRp)
    else return { page, pages }
  }
  return { page, pages }
}

/** A code source that yields these codes in turn, then undefined (the walker stops). */
export function codes(...values: string[]): () => string | undefined {
  let i = 0
  return () => values[i++]
}

/** Raises a person to level 2 as a service counter would. */
export async function verifyAtCounter(server: TestServer, personId: string): Promise<void> {
  await server.onedoor.services.assurance.verifyAtCounter(personId, 'test counter staff')
}

/** Enrols an authenticator through the enrolment service; the confirming step is used up. */
export async function enrolTotp(server: TestServer, personId: string): Promise<{ secret: string; recoveryCodes: string[]; enrolledAt: number }> {
  const { enrolment } = server.onedoor.services
  const pending = await enrolment.start(personId, 'test', 'test-context')
  const secret = pending.manualKey.replace(/\s/g, '')
  const enrolledAt = Date.now()
  const recoveryCodes = await enrolment.confirm(personId, pending.sealed, 'test-context', totpCodeAt(secret, enrolledAt))
  return { secret, recoveryCodes, enrolledAt }
}

/**
 * A code for a time step the server accepts now (±1 step) that is not in `usedSteps`, and its
 * step. Tests stay correct however long the machine takes between enrolment and use.
 */
export async function unusedTotpCode(secret: string, usedSteps: number[]): Promise<{ code: string; step: number }> {
  const now = Math.floor(Date.now() / 30_000)
  for (const step of [now, now + 1, now - 1]) {
    if (usedSteps.includes(step)) continue
    // The previous step stays acceptable only until the current one ends. Too close to that, the
    // sign-in's password check could outlast it: wait for the turn (once the step turns, the next
    // step is the free one). The wait is a timer, not a blocked thread: the server under test runs
    // in this process, and a frozen event loop let its keep-alive timeouts close sockets the client
    // was about to reuse (fetch failed: ECONNRESET, twice in CI).
    const msLeftInStep = (now + 1) * 30_000 - Date.now()
    if (step === now - 1 && msLeftInStep < 10_000) {
      await delay(msLeftInStep + 50)
      return unusedTotpCode(secret, usedSteps)
    }
    return { code: totpCodeAt(secret, step * 30_000 + 15_000), step }
  }
  throw new Error('no unused step in the window')
}

export const stepOf = (ms: number) => Math.floor(ms / 30_000)

export { totpCodeAt }
