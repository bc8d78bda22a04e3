import type { Middleware } from 'koa'
import { errors } from 'oidc-provider'
import type { Renderer } from '../../http/render.js'

/** Where a person whose sign-in expired can start again: the portal that asked, by its registered address. */
export interface PortalLink {
  url: string
  name: string
}

/** Finds the portal of an interaction by its uid, even after the interaction expired (undefined if unknown). */
export type PortalOf = (uid: string) => Promise<PortalLink | undefined>

/**
 * For every interaction router: its pages are never cached, and an interaction that has ended or
 * expired (the provider throws SessionNotFound) shows the readable "expired" page with a 400
 * instead of reaching the generic error handler. The page links back to the portal the sign-in
 * came from when that is still known (`portalOf`), else to the home page.
 */
export function interactionGuard(renderer: Renderer, portalOf?: PortalOf): Middleware {
  return async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    try {
      await next()
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        const locale = renderer.localeFor(ctx)
        const uid = /^\/interaction\/([^/]+)/.exec(ctx.path)?.[1]
        const portal = uid && portalOf ? await portalOf(uid).catch(() => undefined) : undefined
        ctx.status = 400
        renderer.render(ctx, 'expired', { locale, title: renderer.translator(locale)('expired.title'), portal })
        return
      }
      throw err
    }
  }
}

interface PortalClient {
  name: string
  metadata: Record<string, unknown>
  portalUrl: string | null
}

/**
 * The portal of a sign-in: the client named in the interaction (read even after it expired; the
 * cleanup job removes the row some minutes later), linked by its registered portal URL, else its
 * `client_uri`, else the origin of its first redirect URI. Only registered http(s) addresses are
 * ever linked, never anything from the request.
 */
export function createPortalOf(deps: { interactionClientId: (uid: string) => Promise<string | undefined>; findClient: (clientId: string) => Promise<PortalClient | undefined> }): PortalOf {
  return async (uid) => {
    const clientId = await deps.interactionClientId(uid)
    const client = clientId ? await deps.findClient(clientId) : undefined
    if (!client) return undefined
    const redirectUris = Array.isArray(client.metadata.redirect_uris) ? client.metadata.redirect_uris : []
    const firstRedirect = typeof redirectUris[0] === 'string' && URL.canParse(redirectUris[0]) ? `${new URL(redirectUris[0]).origin}/` : undefined
    const url = [client.portalUrl, client.metadata.client_uri, firstRedirect].find((u): u is string => typeof u === 'string' && /^https?:\/\//.test(u) && URL.canParse(u))
    return url ? { url, name: client.name } : undefined
  }
}
