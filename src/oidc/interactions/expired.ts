import type { Middleware } from 'koa'
import { errors } from 'oidc-provider'
import type { Renderer } from '../../http/render.js'

/**
 * For every interaction router: its pages are never cached, and an interaction that has ended or
 * expired (the provider throws SessionNotFound) shows the readable "expired" page with a 400
 * instead of reaching the generic error handler.
 */
export function interactionGuard(renderer: Renderer): Middleware {
  return async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    try {
      await next()
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        const locale = renderer.localeFor(ctx)
        ctx.status = 400
        renderer.render(ctx, 'expired', { locale, title: renderer.translator(locale)('expired.title') })
        return
      }
      throw err
    }
  }
}
