/*
 * Composition root: the only module that wires stores, domains, the provider and routers.
 * createOneDoor() gives a ready-to-listen application; main.ts and the tests both use it.
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import Koa from 'koa'
import type { Logger } from 'pino'
import { createPasswordHasher, createPersons } from './accounts/index.js'
import type { Config } from './config/index.js'
import { errorHandler } from './http/errors.js'
import { healthRoutes } from './http/health.js'
import { createLogger } from './http/logger.js'
import { createRenderer, VIEWS_DIR } from './http/render.js'
import { requestContext } from './http/request-id.js'
import { securityHeaders } from './http/security.js'
import { createKeySet } from './keys/index.js'
import {
  createEventAttacher,
  createFindAccount,
  createOutboundFetch,
  createProviderHost,
  createProviderPages,
  interactionRoutes,
  rejectConcurrentConsume,
} from './oidc/index.js'
import { keyFromBase64 } from './shared/crypto.js'
import { createClientStore } from './store/clients.js'
import { createDb, migrateLatest, pingDb, type Db } from './store/db.js'
import { createLogoutDeliveryStore } from './store/logout-deliveries.js'
import { createAdapterClass, deleteExpiredPayloads } from './store/oidc-adapter.js'
import { createPersonStore } from './store/persons.js'
import { createSigningKeyStore } from './store/signing-keys.js'

export interface OneDoorOptions {
  logger?: Logger
  /** Existing database handle (tests share one); otherwise one is created from config.db. */
  db?: Db
}

export type OneDoor = Awaited<ReturnType<typeof createOneDoor>>

/** Everything that works on the database without serving HTTP: the CLI uses this too. */
export function createServices(config: Config, db: Db) {
  const keyEncryptionKey = keyFromBase64(config.secrets.keyEncryptionKey)
  const clients = createClientStore(db, keyEncryptionKey)
  const keySet = createKeySet({
    store: createSigningKeyStore(db),
    keyEncryptionKey,
    algorithms: config.keys.algorithms,
    // A retired key stays published until the longest-lived signed token it made has expired.
    retiredKeyLifetimeMs: (Math.max(config.tokens.idTokenSeconds, config.tokens.accessTokenSeconds) + 300) * 1000,
  })
  const passwords = createPasswordHasher(config.passwords)
  const persons = createPersons({
    store: createPersonStore(db),
    passwords,
    piiEncryptionKey: keyFromBase64(config.secrets.piiEncryptionKey),
    piiBlindIndexKey: keyFromBase64(config.secrets.piiBlindIndexKey),
  })
  const logoutDeliveries = createLogoutDeliveryStore(db)
  return { db, clients, keySet, passwords, persons, logoutDeliveries }
}

export async function createOneDoor(config: Config, options: OneDoorOptions = {}) {
  const logger = options.logger ?? createLogger(config.log.level)
  const db = options.db ?? createDb(config.db)
  const ownsDb = options.db === undefined
  await migrateLatest(db)
  const services = createServices(config, db)
  const createdKeys = await services.keySet.ensureKeys()
  if (createdKeys > 0) logger.info({ created: createdKeys }, 'signing keys generated')

  const renderer = await createRenderer()
  const host = await createProviderHost({
    config,
    logger,
    adapter: createAdapterClass({ db, clients: services.clients, onConsumeConflict: rejectConcurrentConsume }) as never,
    findAccount: createFindAccount(services.persons),
    fetch: createOutboundFetch({ backchannelLogoutHosts: services.clients.backchannelLogoutHosts, timeoutMs: config.backchannelLogout.timeoutMs }),
    pages: createProviderPages(renderer),
    loadJwks: services.keySet.loadSigningJwks,
    keyVersion: services.keySet.version,
    attachEvents: createEventAttacher({ logger, recordLogoutDelivery: services.logoutDeliveries.record }),
  })

  let shuttingDown = false
  const app = new Koa({ proxy: config.trustProxy })
  app.silent = true
  app.on('error', (err) => logger.error({ err }, 'koa error'))
  app.use(requestContext(logger))
  app.use(securityHeaders({ https: config.issuer.startsWith('https://') }))
  app.use(errorHandler(renderer))
  app.use(healthRoutes({
    checks: {
      database: () => pingDb(db),
      keys: async () => (await services.keySet.loadSigningJwks()).length > 0,
      accepting: () => !shuttingDown,
    },
  }))
  app.use(staticAssets())
  const interactions = interactionRoutes({
    provider: () => host.provider,
    persons: services.persons,
    renderer,
    onLogin: (e) => logger.info({ event: 'login.succeeded', accountId: e.accountId, clientId: e.clientId }, 'sign-in'),
    onLoginFailed: (e) => logger.info({ event: 'login.failed', clientId: e.clientId }, 'sign-in failed'),
  })
  app.use(interactions.routes())
  app.use(interactions.allowedMethods())
  app.use((ctx) => host.handle(ctx))

  const timers = [
    setInterval(() => void host.reloadIfKeysChanged().catch((err) => logger.error({ err }, 'key reload failed')), config.keys.reloadIntervalSeconds * 1000),
    setInterval(() => void runCleanup().catch((err) => logger.error({ err }, 'cleanup failed')), config.jobs.cleanupIntervalSeconds * 1000),
  ]
  for (const timer of timers) timer.unref()

  let server: http.Server | undefined

  async function runCleanup(): Promise<number> {
    const deleted = await deleteExpiredPayloads(db)
    if (deleted > 0) logger.info({ deleted }, 'expired rows removed')
    return deleted
  }

  return {
    app,
    config,
    logger,
    db,
    services,
    host,
    runCleanup,
    get provider() {
      return host.provider
    },
    async listen(port = config.port, hostname = config.host): Promise<{ url: string; port: number }> {
      server = http.createServer(app.callback())
      server.keepAliveTimeout = 5000
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject)
        server!.listen(port, hostname, () => resolve())
      })
      const address = server.address() as AddressInfo
      return { url: `http://${hostname ?? 'localhost'}:${address.port}`, port: address.port }
    },
    /** Readiness goes false first, then in-flight requests finish, then the pool closes. */
    async close(graceMs = 10_000): Promise<void> {
      shuttingDown = true
      for (const timer of timers) clearInterval(timer)
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()))
        server.closeIdleConnections()
        const force = setTimeout(() => server?.closeAllConnections(), graceMs)
        await closing
        clearTimeout(force)
      }
      if (ownsDb) await db.destroy()
    },
  }
}

/** The stylesheet, served from views/assets with a long cache; no third-party assets anywhere. */
function staticAssets(): Koa.Middleware {
  const files = new Map<string, { type: string; body: Buffer }>([
    ['/assets/onedoor.css', { type: 'text/css; charset=utf-8', body: readFileSync(path.join(VIEWS_DIR, 'assets', 'onedoor.css')) }],
  ])
  return async (ctx, next) => {
    const file = ctx.method === 'GET' ? files.get(ctx.path) : undefined
    if (!file) return next()
    ctx.type = file.type
    ctx.set('cache-control', 'public, max-age=3600')
    ctx.body = file.body
  }
}
