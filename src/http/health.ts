import type { Middleware } from 'koa'

export interface ReadinessProbe {
  /** Each check returns true when healthy. */
  checks: Record<string, () => Promise<boolean> | boolean>
}

/** /healthz: the process answers. /readyz: every dependency is usable and we are not draining. */
export function healthRoutes(probe: ReadinessProbe): Middleware {
  return async (ctx, next) => {
    if (ctx.path === '/healthz' && ctx.method === 'GET') {
      ctx.set('cache-control', 'no-store')
      ctx.body = { status: 'ok' }
      return
    }
    if (ctx.path === '/readyz' && ctx.method === 'GET') {
      const results: Record<string, boolean> = {}
      for (const [name, check] of Object.entries(probe.checks)) {
        try {
          results[name] = await check()
        } catch {
          results[name] = false
        }
      }
      const ready = Object.values(results).every(Boolean)
      ctx.set('cache-control', 'no-store')
      ctx.status = ready ? 200 : 503
      ctx.body = { status: ready ? 'ready' : 'not_ready', checks: results }
      return
    }
    await next()
  }
}
