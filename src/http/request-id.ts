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
    // Made on first use: most requests log nothing but the access line, and creating a pino
    // child (bindings, redaction set-up) cost more than the rest of this middleware.
    let child: Logger | undefined
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= logger.child({ requestId })), configurable: true, enumerable: true })
    ctx.set('x-request-id', requestId)
    const started = performance.now()
    try {
      await next()
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status
      // The access line names the request id itself, so it needs no child logger.
      if (child) child.info({ method: ctx.method, path: ctx.path, status, ms }, 'request')
      else logger.info({ requestId, method: ctx.method, path: ctx.path, status, ms }, 'request')
    }
  }
}
