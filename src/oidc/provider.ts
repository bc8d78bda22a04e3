/*
 * The oidc-provider instance behind OneDoor, held so that it can be replaced when the key set
 * changes: every node polls the key-set version and rebuilds its provider after a rotation
 * made anywhere (CLI or another node). All provider state lives in the database, so an
 * in-flight sign-in continues on the new instance.
 */
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import type { Context } from 'koa'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'
import { RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION } from '../http/errors.js'
import { buildConfiguration, type ConfigurationDeps } from './configuration.js'

export interface ProviderHostDeps extends Omit<ConfigurationDeps, 'jwks'> {
  config: Config
  logger: Logger
  loadJwks: () => Promise<Jwk[]>
  keyVersion: () => Promise<string>
  /** Provider events worth keeping (back-channel deliveries, server errors). */
  attachEvents: (provider: Provider) => void
  /** True for a failure of a dependency that is away for now (the database); see answerUnavailable. */
  isUnavailable?: (err: unknown) => boolean
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
    provider.use(answerUnknownRoutes(deps.pages.renderError))
    if (deps.isUnavailable) answerUnavailable(provider, deps.isUnavailable, deps.pages.renderError)
    deps.attachEvents(provider)
    return provider
  }
}

/**
 * Paths no provider route matches get OneDoor's 404 (an error page for browsers, the OAuth
 * error shape for API callers) instead of koa's bare "Not Found" text.
 */
function answerUnknownRoutes(renderError: ConfigurationDeps['pages']['renderError']) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next()
    if (ctx.status !== 404 || ctx.body !== undefined) return
    const out = { error: 'not_found', error_description: 'The requested resource does not exist.' }
    ctx.set('cache-control', 'no-store')
    if (ctx.accepts('json', 'html') === 'html') await renderError(ctx, out, new errors.OIDCProviderError(404, 'not_found'))
    else ctx.body = out
    ctx.status = 404
  }
}

/**
 * A database outage inside a provider route (the token endpoint's adapter calls, findAccount)
 * is caught by that route's own error handler and rendered as 500 server_error before any
 * provider middleware sees it; only the server_error event carries the cause. Requests whose
 * cause was the database being away are answered 503 temporarily_unavailable with Retry-After
 * instead, like OneDoor's own routes, so clients and load balancers retry (issue 6, drill 1).
 */
function answerUnavailable(provider: Provider, isUnavailable: (err: unknown) => boolean, renderError: ConfigurationDeps['pages']['renderError']): void {
  const unavailable = new WeakSet<object>()
  provider.on('server_error', (ctx: object, err: unknown) => {
    if (isUnavailable(err)) unavailable.add(ctx)
  })
  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next()
    // Only a rendered 500: an error already redirected to the client keeps its redirect.
    if (!unavailable.has(ctx) || ctx.status !== 500) return
    const out = { error: 'temporarily_unavailable', error_description: UNAVAILABLE_DESCRIPTION }
    ctx.set('retry-after', String(RETRY_AFTER_SECONDS))
    if (ctx.accepts('json', 'html') === 'html') await renderError(ctx, out, new errors.OIDCProviderError(503, out.error))
    else ctx.body = out
    ctx.status = 503
  })
}

/** Thrown by the adapter when a concurrent redemption already consumed a code or refresh token. */
export function rejectConcurrentConsume(model: string): never {
  throw new errors.InvalidGrant(`${model === 'AuthorizationCode' ? 'authorization code' : 'token'} already consumed`)
}

export { errors as oidcErrors }
