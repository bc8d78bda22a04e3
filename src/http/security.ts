/*
 * Security headers on every response, the provider's included: a strict CSP (no inline
 * scripts, no third-party assets, no framing), no referrer, HSTS when served over https.
 */
import helmet from 'helmet'
import type { Middleware } from 'koa'
import { promisify } from 'node:util'

export function securityHeaders(options: { https: boolean }): Middleware {
  const apply = promisify(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'none'"],
          'frame-ancestors': ["'none'"],
          // form-action is left out on purpose: browsers apply it to the redirect that follows
          // a form post, which would block the return to each portal's redirect_uri.
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
      crossOriginResourcePolicy: { policy: 'same-site' },
      xFrameOptions: { action: 'deny' },
    }) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void,
  )
  return async (ctx, next) => {
    await apply(ctx.req, ctx.res)
    await next()
  }
}
