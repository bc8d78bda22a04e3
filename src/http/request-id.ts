import { randomUUID } from 'node:crypto'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'

/**
 * Gives every request an id (kept from X-Request-Id when it looks like one), a child logger,
 * and one access-log line. Only the path is logged: query strings can carry codes and hints.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const requestId = requestIdFrom(ctx.get('x-request-id'))
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
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status
      // The access line names the request id itself, so it needs no child logger.
      logAccess(child ?? logger, child ? undefined : requestId, { method: ctx.method, path: ctx.path, status, started })
    }
  }
}

/** The caller's X-Request-Id when it looks like one (so a portal can follow its call), else a new one. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && /^[\w.-]{8,64}$/.test(incoming) ? incoming : randomUUID()
}

/** The access-log line of one request; `requestId` is left out when `log` already binds it. */
export function logAccess(log: Logger, requestId: string | undefined, request: { method: string; path: string; status: number; started: number }): void {
  if (!log.isLevelEnabled('info')) return
  const ms = Math.round((performance.now() - request.started) * 10) / 10
  const line = { method: request.method, path: request.path, status: request.status, ms }
  log.info(requestId === undefined ? line : { requestId, ...line }, 'request')
}
