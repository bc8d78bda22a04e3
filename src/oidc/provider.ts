/*
 * The oidc-provider instance behind OneDoor, held so that it can be replaced when the key set
 * changes: every node polls the key-set version and rebuilds its provider after a rotation
 * made anywhere (CLI or another node). All provider state lives in the database, so an
 * in-flight sign-in continues on the new instance.
 */
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Context } from 'koa'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'
import { RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION } from '../http/errors.js'
import { buildConfiguration, type ConfigurationDeps } from './configuration.js'
import { memoiseClientLookups } from './client-lookup.js'
import { orderTokenIdsByTime } from './time-ordered-token-ids.js'

export interface ProviderHostDeps extends Omit<ConfigurationDeps, 'jwks'> {
  config: Config
  logger: Logger
  loadJwks: () => Promise<Jwk[]>
  keyVersion: () => Promise<string>
  /** Provider events worth keeping (back-channel deliveries, server errors). */
  attachEvents: (provider: Provider) => void
  /** True for a failure of a dependency that is away for now (the database); see answerUnavailable. */
  isUnavailable?: (err: unknown) => boolean
  /** The client store's metadata look-up (the adapter's source for clients); see client-lookup.ts. */
  findClientMetadata?: (clientId: string) => Promise<Record<string, unknown> | undefined>
}

export type ProviderHost = Awaited<ReturnType<typeof createProviderHost>>

export async function createProviderHost(deps: ProviderHostDeps) {
  let current = await build()
  let version = await deps.keyVersion()
  let handler = current.callback()

  return {
    get provider(): Provider {
      return current
    },
    /** Hands the request to the provider (koa middleware, last in the chain). */
    async handle(ctx: Context): Promise<void> {
      ctx.respond = false
      await handler(ctx.req, ctx.res)
    },
    /** The same for a plain Node request; settles once the provider has answered. */
    handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
      return handler(req, res)
    },
    /** Rebuilds the provider if the key set changed since it was built; returns whether it did. */
    async reloadIfKeysChanged(): Promise<boolean> {
      const latest = await deps.keyVersion()
      if (latest === version) return false
      const next = await build()
      current = next
      handler = next.callback()
      version = latest
      deps.logger.info({ keys: latest.split(',').length }, 'signing keys reloaded')
      return true
    },
  }

  async function build(): Promise<Provider> {
    const configuration: Configuration = buildConfiguration(deps.config, { ...deps, jwks: await deps.loadJwks() })
    const provider = new Provider(deps.config.issuer, configuration)
    provider.proxy = deps.config.trustProxy
    orderTokenIdsByTime(provider)
    if (deps.findClientMetadata) memoiseClientLookups(provider, deps.findClientMetadata)
    reviseProviderAnswers(provider, deps.pages.renderError, deps.isUnavailable)
    deps.attachEvents(provider)
    return provider
  }
}

/**
 * OneDoor's corrections to the provider's own answers, made once it has answered. One
 * middleware for all of them: every token request passes each provider middleware, and each
 * one is another async layer around it.
 */
function reviseProviderAnswers(provider: Provider, renderError: RenderError, isUnavailable?: (err: unknown) => boolean): void {
  const unavailable = isUnavailable ? watchForUnavailable(provider, isUnavailable) : undefined
  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next()
    if (unavailable?.has(ctx)) await answerUnavailable(ctx, renderError)
    if (ctx.status === 404 && ctx.body === undefined) await answerNotFound(ctx, renderError)
  })
}

type RenderError = ConfigurationDeps['pages']['renderError']

/**
 * Paths no provider route matches get OneDoor's 404 (an error page for browsers, the OAuth
 * error shape for API callers) instead of koa's bare "Not Found" text.
 */
async function answerNotFound(ctx: KoaContextWithOIDC, renderError: RenderError): Promise<void> {
  const out = { error: 'not_found', error_description: 'The requested resource does not exist.' }
  ctx.set('cache-control', 'no-store')
  if (ctx.accepts('json', 'html') === 'html') await renderError(ctx, out, new errors.OIDCProviderError(404, 'not_found'))
  else ctx.body = out
  ctx.status = 404
}

/**
 * A database outage inside a provider route (the token endpoint's adapter calls, findAccount)
 * is caught by that route's own error handler and rendered as 500 server_error before any
 * provider middleware sees it; only the server_error event carries the cause, so the requests
 * it names are remembered here. Those are answered 503 temporarily_unavailable with
 * Retry-After instead (answerUnavailable), like OneDoor's own routes, so clients and load
 * balancers retry (issue 6, drill 1). At the authorization endpoint (and its resume), once the
 * client and its redirect_uri are validated, the answer goes back to the client, as RFC 6749
 * §4.1.2.1 wants and as `temporarily_unavailable` exists for: the portal learns why and can
 * offer a retry, instead of the person being left on OneDoor's error page.
 */
function watchForUnavailable(provider: Provider, isUnavailable: (err: unknown) => boolean): WeakSet<object> {
  const unavailable = new WeakSet<object>()
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: unknown) => {
    if (!isUnavailable(err)) return
    unavailable.add(ctx)
    // oidc-provider's authorization error handler emits this event, then sends the error back to
    // the client only if the error allows it (its own errors do, foreign ones never) and the
    // redirect_uri is registered; so the database's error is allowed here. The answer it then
    // builds says server_error, which reviseRedirectedError corrects.
    const route = ctx.oidc?.route
    if ((route === 'authorization' || route === 'resume') && typeof err === 'object' && err !== null) Object.assign(err, { allow_redirect: true })
  })
  return unavailable
}

async function answerUnavailable(ctx: KoaContextWithOIDC, renderError: RenderError): Promise<void> {
  if (reviseRedirectedError(ctx) || ctx.status !== 500) return
  const out = { error: 'temporarily_unavailable', error_description: UNAVAILABLE_DESCRIPTION }
  ctx.set('retry-after', String(RETRY_AFTER_SECONDS))
  if (ctx.accepts('json', 'html') === 'html') await renderError(ctx, out, new errors.OIDCProviderError(503, out.error))
  else ctx.body = out
  ctx.status = 503
}

const SERVER_ERROR_INPUT = /<input type="hidden" name="error" value="server_error"\/>/

/**
 * An authorization error oidc-provider sent back to the client (the query or fragment of a
 * redirect, or a form_post page) says server_error: it is rewritten to temporarily_unavailable
 * with OneDoor's description, other parameters (state, iss) untouched. Returns whether the
 * answer was such a redirect. oidc-provider builds these answers from a private copy of the
 * error, so they can only be revised after the fact.
 */
function reviseRedirectedError(ctx: KoaContextWithOIDC): boolean {
  const location = ctx.status >= 300 && ctx.status < 400 ? ctx.response.get('location') : ''
  if (location) {
    const url = new URL(location)
    const fragment = new URLSearchParams(url.hash.slice(1))
    if (url.searchParams.get('error') === 'server_error') setUnavailable(url.searchParams)
    else if (fragment.get('error') === 'server_error') url.hash = setUnavailable(fragment).toString()
    else return true
    ctx.redirect(url.href)
    return true
  }
  if (typeof ctx.body === 'string' && SERVER_ERROR_INPUT.test(ctx.body)) {
    ctx.body = ctx.body
      .replace(SERVER_ERROR_INPUT, '<input type="hidden" name="error" value="temporarily_unavailable"/>')
      .replace(/(<input type="hidden" name="error_description" value=")[^"]*("\/>)/, `$1${UNAVAILABLE_DESCRIPTION}$2`)
    // As oidc-provider answers any other error it posts back to the client.
    ctx.status = 400
    return true
  }
  return false
}

function setUnavailable(params: URLSearchParams): URLSearchParams {
  params.set('error', 'temporarily_unavailable')
  params.set('error_description', UNAVAILABLE_DESCRIPTION)
  return params
}

/** Thrown by the adapter when a concurrent redemption already consumed a code or refresh token. */
export function rejectConcurrentConsume(model: string): never {
  throw new errors.InvalidGrant(`${model === 'AuthorizationCode' ? 'authorization code' : 'token'} already consumed`)
}

export { errors as oidcErrors }
