import { randomUUID } from 'node:crypto'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'

/**
 * Gives every request an id (kept from X-Request-Id when it looks like one), a child logger,
 * and one access-log line. Only the path is logged: query strings can carry codes and hints.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id')
    const requestId = /^[\w.-]{8,64}$/.test(incoming) ? incoming : randomUUID()
    ctx.state.requestId = requestId
    ctx.state.log = logger.child({ requestId })
    ctx.set('x-request-id', requestId)
    const started = performance.now()
    try {
      await next()
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status, ms }, 'request')
    }
  }
}
