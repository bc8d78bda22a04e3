/*
 * Portal back-ends' calls to the provider (token, introspection, revocation, userinfo, JWKS) go
 * to it straight from Node's HTTP server, before the koa application that serves the pages.
 * oidc-provider is a koa application of its own, so in that chain each such call built two koa
 * contexts and ran three middlewares only to be handed on; for a client-credentials grant that
 * was about 5 % of its CPU (benchmark A/B). The call still gets everything the chain gave it:
 * a request id (X-Request-Id), the security headers, `Connection: close` while the node drains,
 * and its access-log line. Errors are the provider's own (OAuth error JSON); none escape it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { logAccess, requestIdFrom } from './request-id.js'
import { setSecurityHeaders } from './security.js'

export interface ProviderApiDoorOptions {
  /** The provider's back-end paths (no query string). */
  paths: ReadonlySet<string>
  logger: Logger
  securityHeaders: [string, string][]
  isDraining: () => boolean
  /** Hands the request to the provider; settles once it has answered. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

/** Returns a function that serves the request and says true if it is a provider back-end call, false otherwise. */
export function providerApiDoor(options: ProviderApiDoorOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { paths, logger, securityHeaders, isDraining, handle } = options
  return (req, res) => {
    const url = req.url ?? '/'
    const query = url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    if (!paths.has(path)) return false
    const started = performance.now()
    const requestId = requestIdFrom(req.headers['x-request-id'])
    res.setHeader('x-request-id', requestId)
    if (isDraining()) res.setHeader('connection', 'close')
    setSecurityHeaders(res, securityHeaders)
    void handle(req, res).then(
      () => logAccess(logger, requestId, { method: req.method ?? 'GET', path, status: res.statusCode, started }),
      (err: unknown) => {
        // koa's request handler catches everything, so this is a last line of defence: the
        // caller gets an answer (or a closed connection), never a request left hanging.
        logger.error({ err, requestId }, 'provider request failed')
        answerServerError(res, requestId)
      },
    )
    return true
  }
}

function answerServerError(res: ServerResponse, requestId: string): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy()
    return
  }
  res.statusCode = 500
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.end(JSON.stringify({ error: 'server_error', error_description: 'An unexpected error occurred. Please try again later.', request_id: requestId }))
}
