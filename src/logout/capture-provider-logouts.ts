/*
 * oidc-provider's end_session (RP-initiated logout) sends back-channel logout tokens itself and
 * awaits every portal before answering, so one unreachable portal would hold the person's
 * logout for the whole fetch timeout, and a failure would be lost. We take the sending over:
 * while the provider handles the logout confirmation, Client#backchannelLogout hands its (client, sub, sid) to a
 * fan-out batch, which starts that delivery at once (so portals are told while the provider
 * still revokes grants) and returns immediately; once end_session has answered, the batch is
 * queued and the person waits only what is left of the bound. The provider still decides which
 * portals to notify (every one with logout=yes, else only the requesting one).
 *
 * Client#backchannelLogout is called by end_session only (oidc-provider 9); a call outside a
 * request is still delivered, as a batch of its own.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type Provider from 'oidc-provider'
import type { Client } from 'oidc-provider'
import type { Context } from 'koa'
import type { FanOutReport } from './fan-out.js'
import type { LogoutReason, LogoutTarget } from './types.js'

interface Batch {
  add(target: LogoutTarget, client: Client | undefined): void
  finish(): Promise<FanOutReport>
}

export function captureProviderLogouts(provider: Provider, startBatch: (reason: LogoutReason) => Batch, onError: (err: unknown) => void): void {
  const requests = new AsyncLocalStorage<{ batch?: Batch }>()
  const confirmPath = provider.pathFor('end_session_confirm')

  // Only the confirmation runs end_session's sending; every other request (the token endpoint's
  // above all) is handed on as it is: no async context, which each of its promises would
  // otherwise carry, and no async layer of this middleware's own.
  provider.use((ctx, next) => (ctx.method === 'POST' && ctx.path === confirmPath ? confirmWithBatch(ctx, next) : next()))

  async function confirmWithBatch(ctx: Context, next: () => Promise<unknown>): Promise<void> {
    await prefetchClients(provider, ctx)
    const request: { batch?: Batch } = {}
    try {
      await requests.run(request, next)
    } finally {
      // Tokens already sent are queued and recorded even if end_session failed after naming them.
      if (request.batch) await request.batch.finish()
    }
  }

  const prototype = provider.Client.prototype as unknown as { backchannelLogout: (sub: string, sid?: string) => Promise<void> }
  prototype.backchannelLogout = async function startBackchannelLogout(this: Client, sub: string, sid?: string) {
    const target: LogoutTarget = { clientId: this.clientId, accountId: sub, ...(sid ? { sid } : {}) }
    const request = requests.getStore()
    if (request) {
      request.batch ??= startBatch('rp_logout')
      request.batch.add(target, this)
      return
    }
    const batch = startBatch('provider')
    batch.add(target, this)
    void batch.finish().catch(onError)
  }
}

/**
 * end_session looks the session's portals up one after the other; fetching them all at once
 * first fills the client cache, so that loop does no database round trip per portal (with 138
 * portals on PostgreSQL, the difference is felt). Best effort: any failure is left to the provider.
 */
async function prefetchClients(provider: Provider, ctx: { cookies: { get(name: string, options: { signed: boolean }): string | undefined } }): Promise<void> {
  try {
    const sessionId = ctx.cookies.get(provider.cookieName('session'), { signed: true })
    if (!sessionId) return
    const session = await provider.Session.find(sessionId)
    const clientIds = Object.keys(session?.authorizations ?? {})
    await Promise.all(clientIds.map((clientId) => provider.Client.find(clientId).catch(() => undefined)))
  } catch {
    // the provider reports whatever is wrong with the session itself
  }
}
