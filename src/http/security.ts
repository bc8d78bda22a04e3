/*
 * Security headers on every response, the provider's included: a strict CSP (no inline
 * scripts, no third-party assets, no framing), no referrer, HSTS when served over https.
 */
import helmet from 'helmet'
import type { Middleware } from 'koa'

export function securityHeaders(options: { https: boolean }): Middleware {
  const headers = staticHeaders(
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
    }) as NodeMiddleware,
  )
  return async (ctx, next) => {
    for (const [name, value] of headers) ctx.res.setHeader(name, value)
    await next()
  }
}

type NodeMiddleware = (req: unknown, res: unknown, next: (err?: unknown) => void) => void

/**
 * The headers helmet sets. With this configuration they are the same on every response (no
 * per-request nonces), so helmet runs once at start-up against a recording response, and each
 * request copies the result: running its dozen middlewares per request cost a few percent of a
 * token request.
 */
function staticHeaders(middleware: NodeMiddleware): [string, string][] {
  const headers: [string, string][] = []
  const recorder = {
    // Lower-case names: Node keys its header table by the lower-cased name, which is then free.
    setHeader: (name: string, value: string | number) => headers.push([name.toLowerCase(), String(value)]),
    removeHeader: () => {},
    getHeader: () => undefined,
  }
  let called = false
  middleware({ headers: {}, method: 'GET', url: '/' }, recorder, (err?: unknown) => {
    if (err) throw err
    called = true
  })
  if (!called || headers.length === 0) throw new Error('helmet did not set its headers synchronously')
  return headers
}
