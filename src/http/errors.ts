/*
 * Errors mapped in one place. Browsers get the error page; API callers get the OAuth error
 * shape {error, error_description, request_id}. Unexpected errors answer server_error with
 * a generic text and are logged with the request id; no stack trace reaches a user.
 */
import type { Context, Middleware } from 'koa'
import { AppError } from '../shared/errors.js'
import type { Renderer } from './render.js'

interface OAuthLikeError {
  status?: number
  statusCode?: number
  expose?: boolean
  error?: string
  error_description?: string
  message?: string
  code?: string
  name?: string
}

export interface ErrorHandlerOptions {
  /**
   * True for failures of a dependency that is away for now (the database restarting): answered
   * 503 temporarily_unavailable with Retry-After, so clients and load balancers retry, instead
   * of 500 server_error. Given by app.ts (driver knowledge stays in store/).
   */
  isUnavailable?: (err: unknown) => boolean
  /** True for input the database refused to hold (a NUL byte in text): answered 400 invalid_request. */
  isBadInput?: (err: unknown) => boolean
}

/** Seconds a client is asked to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 2

export function errorHandler(renderer: Renderer, options: ErrorHandlerOptions = {}): Middleware {
  return async (ctx, next) => {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) {
        respond(ctx, renderer, 404, 'not_found', 'The requested resource does not exist.')
      }
    } catch (caught) {
      const err = caught as OAuthLikeError
      const status = err.status ?? err.statusCode ?? 500
      if (caught instanceof AppError && caught.expose) {
        respond(ctx, renderer, status, caught.code, caught.message)
      } else if (status < 500 && err.expose !== false) {
        const code = err.error ?? (status === 404 ? 'not_found' : 'invalid_request')
        respond(ctx, renderer, status, code, err.error_description ?? safeMessage(err, status))
      } else if (options.isBadInput?.(caught)) {
        respond(ctx, renderer, 400, 'invalid_request', BAD_TEXT_DESCRIPTION)
      } else if (options.isUnavailable?.(caught)) {
        ctx.state.log?.warn({ err: caught }, 'dependency unavailable')
        ctx.set('retry-after', String(RETRY_AFTER_SECONDS))
        respond(ctx, renderer, 503, 'temporarily_unavailable', UNAVAILABLE_DESCRIPTION)
      } else {
        ctx.state.log?.error({ err: caught }, 'unhandled error')
        respond(ctx, renderer, 500, 'server_error', 'An unexpected error occurred. Please try again later.')
      }
    }
  }
}

export const BAD_TEXT_DESCRIPTION = 'The request contains characters that cannot be processed.'

export const UNAVAILABLE_DESCRIPTION = 'The service is temporarily unavailable. Please try again shortly.'

function safeMessage(err: OAuthLikeError, status: number): string {
  // koa's own client errors (body too large, bad JSON) carry harmless messages.
  return status < 500 && err.message ? err.message : 'The request could not be processed.'
}

export function respond(ctx: Context, renderer: Renderer, status: number, error: string, description: string): void {
  ctx.status = status
  ctx.set('cache-control', 'no-store')
  if (ctx.accepts('json', 'html') === 'html') {
    const t = renderer.translator(renderer.localeFor(ctx))
    renderer.render(ctx, 'error', { title: t('error.title'), error, description: t(`error.codes.${error}`, { defaultValue: description }) })
    ctx.status = status
  } else {
    ctx.body = { error, error_description: description, request_id: ctx.state.requestId }
  }
}
