/*
 * Security headers on every response, the provider's included: a strict CSP (no inline
 * scripts, no third-party assets, no framing), no referrer, HSTS when served over https.
 */
import helmet from 'helmet'
import type { Middleware } from 'koa'

/** `headers`: from securityHeaderList, computed once and shared with the back-end door. */
export function securityHeaders(headers: [string, string][]): Middleware {
  return async (ctx, next) => {
    setSecurityHeaders(ctx.res, headers)
    await next()
  }
}

/** The headers every response carries, as [lower-case name, value] pairs. */
export function securityHeaderList(options: { https: boolean }): [string, string][] {
  return staticHeaders(
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
}

/**
 * The headers of the provider's back-end answers (token, introspection, revocation, userinfo,
 * JWKS: JSON or JWT, never a page), after OWASP's REST Security Cheat Sheet: nothing may run,
 * load or frame (`default-src 'none'`, stricter than the pages' policy), no sniffing, no
 * referrer, HSTS over https. The document-only headers (cross-origin opener and resource
 * policies, origin-agent clustering, DNS prefetch, IE's download and XSS switches, Flash's
 * cross-domain policy) do nothing for a response no browser renders; serialising them was about
 * 3 KB of each grant's allocation (V8's sampling heap profiler), the largest share of what
 * OneDoor allocated beyond oidc-provider itself.
 */
export function apiSecurityHeaderList(options: { https: boolean }): [string, string][] {
  return staticHeaders(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      xFrameOptions: { action: 'deny' },
      crossOriginEmbedderPolicy: false,
      crossOriginOpenerPolicy: false,
      crossOriginResourcePolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }) as NodeMiddleware,
  )
}

/**
 * An indexed loop on purpose: destructuring each pair in a for-of allocated about 2 KB per
 * request (V8's sampling heap profiler), a quarter of what OneDoor's own code allocated per
 * client-credentials grant.
 */
export function setSecurityHeaders(res: { setHeader(name: string, value: string): unknown }, headers: [string, string][]): void {
  for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1])
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
