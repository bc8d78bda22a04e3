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
import { createAssuranceFlow, createAssuranceServices } from './assurance-wiring.js'
import { errorHandler } from './http/errors.js'
import { healthRoutes } from './http/health.js'
import { createLogger } from './http/logger.js'
import { createRenderer, VIEWS_DIR } from './http/render.js'
import { requestContext } from './http/request-id.js'
import { mountRouter } from './http/mount-router.js'
import { providerApiDoor } from './http/provider-api.js'
import { apiSecurityHeaderList, securityHeaderList, securityHeaders } from './http/security.js'
import { createKeySet } from './keys/index.js'
import { createDivisions, type FederationDeps } from './federation/index.js'
import { createClientValidator, createPortalOf, prepareClient } from './oidc/index.js'
import { createDivisionStore } from './store/divisions.js'
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
import { isConnectionError, isUnstorableText } from './store/errors.js'
import { createLogoutDeliveryStore } from './store/logout-deliveries.js'
import { createSingleLogout } from './logout/index.js'
import { createLogoutQueueStore } from './store/logout-queue.js'
import { createSessionStore } from './store/oidc-sessions.js'
import { createAdapterClass, deleteExpiredPayloads, interactionClientId } from './store/oidc-adapter.js'
import { createPersonStore } from './store/persons.js'
import { createAccountSessionStore } from './store/account-sessions.js'
import { createConsentStore } from './store/consents.js'
import { createRateLimitStore } from './store/rate-limits.js'
import { createSmsStore } from './store/sms.js'
import { createIdentityPages, createSignInLimits } from './identity-wiring.js'
import type { AccountExtension } from './account/index.js'
import { createSigningKeyStore } from './store/signing-keys.js'
import { createAdminWiring, createAuditServices } from './admin/wiring.js'

export interface OneDoorOptions {
  logger?: Logger
  /** Existing database handle (tests share one); otherwise one is created from config.db. */
  db?: Db
  /** More pages under /account (tests of the account centre's extension hook). */
  accountExtensions?: AccountExtension[]
}

export type OneDoor = Awaited<ReturnType<typeof createOneDoor>>

/** Everything that works on the database without serving HTTP: the CLI uses this too. */
export function createServices(config: Config, db: Db) {
  const keyEncryptionKey = keyFromBase64(config.secrets.keyEncryptionKey)
  const clients = createClientStore(db, keyEncryptionKey, { cacheMs: config.clients.cacheMs })
  const keySet = createKeySet({
    store: createSigningKeyStore(db),
    keyEncryptionKey,
    algorithms: config.keys.algorithms,
    // A retired key stays published until the longest-lived signed token it made has expired.
    retiredKeyLifetimeMs: (Math.max(config.tokens.idTokenSeconds, config.tokens.accessTokenSeconds) + 300) * 1000,
    minRotationIntervalMs: config.keys.minRotationIntervalSeconds * 1000,
  })
  const passwords = createPasswordHasher(config.passwords)
  const rateLimits = createRateLimitStore(db)
  const persons = createPersons({
    store: createPersonStore(db),
    passwords,
    piiEncryptionKey: keyFromBase64(config.secrets.piiEncryptionKey),
    piiBlindIndexKey: keyFromBase64(config.secrets.piiBlindIndexKey),
    // Identity (issue 3): failed sign-ins per identifier and per IP, counted in the database.
    signInLimits: createSignInLimits(config, rateLimits),
  })
  const logoutDeliveries = createLogoutDeliveryStore(db)
  // Federation (issue 4): division tree and what the manifest sync / onboarding need.
  const divisions = createDivisions(createDivisionStore(db))
  const auditServices = createAuditServices(config, db)
  const federation: FederationDeps = {
    issuer: config.issuer,
    audit: auditServices.audit,
    clients,
    divisions,
    prepareSystem: (input, options) => prepareClient({ config, loadJwks: keySet.loadSigningJwks }, input, options),
    // Signing keys decide which algorithms client metadata may name; a fresh database gets its
    // keys here, as the server would at its first start.
    createValidator: async () => {
      await keySet.ensureKeys()
      return createClientValidator(config, await keySet.loadSigningJwks())
    },
  }
  return { db, clients, keySet, passwords, persons, logoutDeliveries, divisions, federation, rateLimits, smsStore: createSmsStore(db), accountSessions: createAccountSessionStore(db), consents: createConsentStore(db),
    // Identity (issue 3, identity-B): TOTP, assurance levels, enterprises and mandates.
    ...createAssuranceServices(config, db, persons, clients),
    // Administration (issue 5): audit trail and admin rows.
    ...auditServices }
}

export async function createOneDoor(config: Config, options: OneDoorOptions = {}) {
  const logger = options.logger ?? createLogger(config.log.level)
  const db = options.db ?? createDb(config.db, { logger })
  const ownsDb = options.db === undefined
  await migrateLatest(db)
  const services = createServices(config, db)
  const createdKeys = await services.keySet.ensureKeys()
  if (createdKeys > 0) logger.info({ created: createdKeys }, 'signing keys generated')

  const renderer = await createRenderer()
  // Single logout (issue 4): takes over the provider's back-channel sending on every provider build.
  const logout = createSingleLogout({
    provider: () => host.provider,
    queue: createLogoutQueueStore(db),
    sessions: createSessionStore(db),
    settings: config.backchannelLogout,
    logger,
    // Every delivery attempt goes to the audit trail (admin is created below; outcomes come later).
    onOutcome: (o) =>
      admin.sink({
        type: o.result === 'delivered' ? 'oidc.logout.delivered' : 'oidc.logout.failed',
        actor: { type: 'system' },
        target: { type: 'client', id: o.delivery.clientId },
        result: o.result === 'delivered' ? 'success' : 'failure',
        errorCode: o.result === 'delivered' ? null : 'delivery_failed',
        details: { attempt: o.delivery.attempts, reason: o.delivery.reason, retry: o.nextAttemptAt !== undefined },
      }),
  })
  // Administration and audit trail (issue 5): provider events and sign-ins go to the audit trail.
  const admin = createAdminWiring({ config, logger, renderer, services, endSessions: (id, tx) => logout.endEverySession(id, tx) })
  const attachEvents = createEventAttacher({ logger, audit: admin.sink })
  // Identity (issue 3, identity-B): interaction policy (identity, assurance prompts), their pages, token claims.
  const assuranceFlow = createAssuranceFlow(services, { renderer, provider: () => host.provider, logger, audit: admin.sink })
  const host = await createProviderHost({
    config,
    logger,
    adapter: createAdapterClass({ db, clients: services.clients, onConsumeConflict: rejectConcurrentConsume }) as never,
    findAccount: createFindAccount(services.persons),
    policy: assuranceFlow.policy,
    identityClaims: assuranceFlow.identityClaims,
    rememberedConsents: services.consents,
    fetch: createOutboundFetch({ backchannelLogoutHosts: services.clients.backchannelLogoutHosts, timeoutMs: config.backchannelLogout.timeoutMs }),
    pages: createProviderPages(renderer),
    loadJwks: services.keySet.loadSigningJwks,
    keyVersion: services.keySet.version,
    isUnavailable: isConnectionError,
    findClientMetadata: services.clients.findMetadata,
    attachEvents: (provider) => {
      attachEvents(provider)
      logout.attach(provider)
    },
  })

  let shuttingDown = false
  const app = new Koa({ proxy: config.trustProxy })
  app.silent = true
  app.on('error', (err) => logger.error({ err }, 'koa error'))
  app.use(requestContext(logger))
  // Draining (see close()): keep-alive clients are told to reconnect, through the load balancer.
  app.use(async (ctx, next) => {
    if (shuttingDown) ctx.set('connection', 'close')
    await next()
  })
  const servedOverHttps = config.issuer.startsWith('https://')
  const securityHeaderPairs = securityHeaderList({ https: servedOverHttps })
  app.use(securityHeaders(securityHeaderPairs))
  // A database outage answers 503 temporarily_unavailable, not 500 (issue 6, drill 1).
  app.use(errorHandler(renderer, { isUnavailable: isConnectionError, isBadInput: isUnstorableText }))
  app.use(healthRoutes({
    checks: {
      database: () => pingDb(db),
      keys: async () => (await services.keySet.loadSigningJwks()).length > 0,
      accepting: () => !shuttingDown,
    },
  }))
  app.use(staticAssets())
  app.use(homePage(renderer))
  const portalOf = createPortalOf({ interactionClientId: (uid) => interactionClientId(db, uid), findClient: (id) => services.clients.findRecord(id) })
  const interactions = interactionRoutes({
    provider: () => host.provider,
    persons: services.persons,
    renderer,
    portalOf,
    rememberConsent: services.consents.remember,
    onLogin: (e) => {
      logger.info({ event: 'login.succeeded', accountId: e.accountId, clientId: e.clientId }, 'sign-in')
      admin.onLogin(e)
    },
    onLoginFailed: (e) => {
      logger.info({ event: 'login.failed', clientId: e.clientId }, 'sign-in failed')
      admin.onLoginFailed(e)
    },
    prompts: assuranceFlow.prompts,
    extend: assuranceFlow.extendInteractions,
  })
  mountRouter(app, interactions)
  // Identity (issue 3): registration, SMS sign-in, password reset, privacy notice, account centre.
  const endOneSession = (personId: string, uid: string) =>
    logout.endSession(uid, { accountId: personId }).then(
      () => true,
      (err: { code?: string }) => {
        if (err?.code === 'LOGOUT_SESSION_NOT_FOUND') return false
        throw err
      },
    )
  const identity = createIdentityPages(config, services, { logger, renderer, portalOf, provider: () => host.provider, signOutEverywhere: (id) => logout.signOutEverywhere(id), endSession: endOneSession, accountExtensions: [...assuranceFlow.accountExtensions, ...(options.accountExtensions ?? [])], accountClosureHooks: [services.forgetPerson], accountExportSections: [services.describePerson] })
  await identity.ready()
  for (const router of identity.routers) mountRouter(app, router)
  await admin.ready()
  for (const router of admin.routers) mountRouter(app, router)
  app.use((ctx) => host.handle(ctx))

  const timers = [
    setInterval(() => void host.reloadIfKeysChanged().catch((err) => logger.error({ err }, 'key reload failed')), config.keys.reloadIntervalSeconds * 1000),
    setInterval(() => void runCleanup().catch((err) => logger.error({ err }, 'cleanup failed')), config.jobs.cleanupIntervalSeconds * 1000),
    setInterval(() => void logout.runRetries().catch((err) => logger.error({ err }, 'logout retry run failed')), config.backchannelLogout.retry.intervalSeconds * 1000),
    setInterval(() => void admin.refreshDashboard().catch((err) => logger.error({ err }, 'dashboard refresh failed')), config.jobs.dashboardRefreshSeconds * 1000),
  ]
  for (const timer of timers) timer.unref()

  let server: http.Server | undefined

  async function runCleanup(): Promise<number> {
    const deleted = (await deleteExpiredPayloads(db)) + (await services.rateLimits.deleteExpired()) + (await services.smsStore.deleteExpired(Date.now())) + (await services.mfaStore.deleteExpiredAttempts(Date.now()))
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
    logout,
    get provider() {
      return host.provider
    },
    async listen(port = config.port, hostname = config.host): Promise<{ url: string; port: number }> {
      // Back-end calls (token, introspection, revocation, userinfo, JWKS) reach the provider
      // before the koa chain above; why, in http/provider-api.ts. Through app.callback() alone
      // they still arrive, via the provider at the end of the chain.
      const serveProviderApi = providerApiDoor({
        paths: new Set(['token', 'introspection', 'revocation', 'userinfo', 'jwks'].map((route) => host.provider.pathFor(route))),
        logger,
        securityHeaders: apiSecurityHeaderList({ https: servedOverHttps }),
        isDraining: () => shuttingDown,
        handle: (req, res) => host.handleRequest(req, res),
      })
      const serveApp = app.callback()
      server = http.createServer((req, res) => {
        if (!serveProviderApi(req, res)) void serveApp(req, res)
      })
      server.keepAliveTimeout = 5000
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject)
        server!.listen(port, hostname, () => resolve())
      })
      const address = server.address() as AddressInfo
      return { url: `http://${hostname ?? 'localhost'}:${address.port}`, port: address.port }
    },
    /**
     * Readiness goes false first, then in-flight requests finish, then the pool closes. With
     * `readinessDelayMs` (SIGTERM in main.ts: shutdown.readinessDelaySeconds) the node keeps
     * serving that long before the listener closes: closing it at once would refuse the very
     * /readyz polls that tell a load balancer to stop routing here (issue 6, drill 3).
     * `graceMs` bounds the whole: requests still running then are cut.
     */
    async close(graceMs = 10_000, readinessDelayMs = 0): Promise<void> {
      shuttingDown = true
      for (const timer of timers) clearInterval(timer)
      const delayMs = server ? Math.min(readinessDelayMs, graceMs / 2) : 0
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()))
        server.closeIdleConnections()
        // Keep-alive connections become idle as their last response ends; close them then,
        // instead of waiting for the keep-alive timeout.
        const sweep = setInterval(() => server?.closeIdleConnections(), 50)
        const force = setTimeout(() => server?.closeAllConnections(), graceMs - delayMs)
        await closing
        clearInterval(sweep)
        clearTimeout(force)
      }
      await logout.drain()
      await admin.drain()
      if (ownsDb) await db.destroy()
    },
  }
}

/** The front door: where to go for the account centre, administration and integration. */
function homePage(renderer: Awaited<ReturnType<typeof createRenderer>>): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/' || ctx.method !== 'GET') return next()
    const locale = renderer.localeFor(ctx)
    renderer.render(ctx, 'home', { locale, title: renderer.translator(locale)('home.title') })
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
