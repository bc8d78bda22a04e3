/*
 * Routers mounted behind a check of the path's first segment. @koa/router tries a request
 * against every route it holds (one regular expression each, and arrays for what matched) before
 * it can say that none applies, and OneDoor mounts six routers in front of the provider: each
 * authorization request of a sign-in (/auth and its resume) went through all of them, which was
 * the largest single share of what a sign-in allocated in OneDoor's own HTTP layer (V8's
 * sampling heap profiler). A router whose routes all start with known segments (/admin,
 * /account, /interaction, /privacy) now sees only requests that start with one of them; what it
 * does with those is unchanged.
 */
import type Router from '@koa/router'
import type Koa from 'koa'

export function mountRouter(app: Koa, router: Router): void {
  // The router's own matching is case-insensitive unless it was made `sensitive`.
  const fold = !(router.opts as { sensitive?: boolean }).sensitive
  const segments = firstSegments(router, fold)
  const routes = router.routes()
  const allowedMethods = router.allowedMethods()
  if (!segments) {
    app.use(routes)
    app.use(allowedMethods)
    return
  }
  const owns = (path: string) => {
    const segment = firstSegment(path)
    return segments.has(fold ? segment.toLowerCase() : segment)
  }
  app.use((ctx, next) => (owns(ctx.path) ? routes(ctx as never, next) : next()))
  app.use((ctx, next) => (owns(ctx.path) ? allowedMethods(ctx as never, next) : next()))
}

/** "/admin/api/x" → "/admin"; "/privacy" → "/privacy". */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1)
  return end === -1 ? path : path.slice(0, end)
}

/**
 * A route's fixed first segment: a word followed by the end, by "/", or by `(?:\/|$)`, the
 * pattern @koa/router gives a router-wide middleware under a prefix (`router.use(fn)`).
 */
const FIXED_FIRST_SEGMENT = /^(\/[A-Za-z0-9_.~-]+)(?:$|\/|\(\?:\\\/\|\$\)$)/

/**
 * The first segments of every route's path, or undefined when a route's first segment is not a
 * fixed word (a parameter, a wildcard, a regular expression): such a router is mounted as it is.
 */
function firstSegments(router: Router, fold: boolean): Set<string> | undefined {
  const segments = new Set<string>()
  for (const layer of router.stack) {
    const path: unknown = layer.path
    const fixed = typeof path === 'string' ? FIXED_FIRST_SEGMENT.exec(path) : null
    if (!fixed) return undefined
    segments.add(fold ? fixed[1].toLowerCase() : fixed[1])
  }
  return segments.size > 0 ? segments : undefined
}
