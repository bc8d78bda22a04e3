/*
 * Composition of the natural-person self-service (issue 3), kept beside app.ts so that the
 * composition root only calls it: SMS gateway and codes, sign-in limits, the self-service
 * pages inside the sign-in, the privacy notice, and the account centre with its first-party
 * OIDC client. Like app.ts, this module may import every layer.
 */
import type Router from '@koa/router'
import type Provider from 'oidc-provider'
import type { Logger } from 'pino'
import {
  accountCentreRoutes,
  createCookieCodec,
  createEndEverything,
  createSignIn,
  ensureAccountCentreClient,
  privacyRoutes,
  type AccountExtension,
} from './account/index.js'
import { createRateLimiter, createSelfService, type Persons } from './accounts/index.js'
import type { Config } from './config/index.js'
import type { Renderer } from './http/render.js'
import type { Jwk } from './keys/index.js'
import { registerClient, type PortalOf } from './oidc/index.js'
import { selfServiceRoutes } from './oidc/interactions/self-service.js'
import { keyFromBase64 } from './shared/crypto.js'
import { createHttpGateway, createLogGateway, createSmsCodes, type SmsGateway } from './sms/index.js'
import type { AccountSessionStore } from './store/account-sessions.js'
import type { ClientStore } from './store/clients.js'
import type { RateLimitStore } from './store/rate-limits.js'
import type { SmsStore } from './store/sms.js'

const HOUR = 3600

/** Failed sign-ins per identifier (NIST 800-63B: ≤ 100) and per client IP, per hour. */
export function createSignInLimits(config: Config, store: RateLimitStore) {
  const hashKey = keyFromBase64(config.secrets.piiBlindIndexKey)
  return {
    perAccount: createRateLimiter({ store, hashKey }, { name: 'signin-account', limit: config.signIn.failuresPerAccountPerHour, windowSeconds: HOUR }),
    perIp: createRateLimiter({ store, hashKey }, { name: 'signin-ip', limit: config.signIn.failuresPerIpPerHour, windowSeconds: HOUR }),
  }
}

interface IdentityServices {
  persons: Persons
  clients: ClientStore
  rateLimits: RateLimitStore
  smsStore: SmsStore
  accountSessions: AccountSessionStore
  keySet: { loadSigningJwks: () => Promise<Jwk[]> }
}

export interface IdentityPageOptions {
  logger: Logger
  renderer: Renderer
  provider: () => Provider
  /** The federation's single logout (back-channel fan-out), when wired. */
  signOutEverywhere?: (accountId: string) => Promise<{ sessionsEnded: number }>
  /** The federation's end-one-session (back-channel logout with its sid); false when not the person's. */
  endSession?: (personId: string, uid: string) => Promise<boolean>
  /** Pages other modules add under /account (identity-B: TOTP enrolment, mandates). */
  accountExtensions?: AccountExtension[]
  /** Erasure in other modules when a person closes their account (identity-B: TOTP, mandates). */
  accountClosureHooks?: Array<(personId: string) => Promise<void>>
  accountExportSections?: Array<(personId: string) => Promise<Record<string, unknown>>>
  /** Replaces the configured SMS driver (tests of the http driver). */
  smsGateway?: SmsGateway
  /** The portal offered on the "sign-in expired" page. */
  portalOf?: PortalOf
}

export function createIdentityPages(config: Config, services: IdentityServices, options: IdentityPageOptions) {
  const hashKey = keyFromBase64(config.secrets.piiBlindIndexKey)
  const limiter = (name: string, limit: number, windowSeconds: number) => createRateLimiter({ store: services.rateLimits, hashKey }, { name, limit, windowSeconds })
  const sortableId = () => `${Date.now().toString(36).padStart(9, '0')}${Math.random().toString(36).slice(2, 12).padEnd(10, '0')}`.slice(0, 32)
  const gateway: SmsGateway =
    options.smsGateway ??
    (config.sms.driver === 'http'
      ? createHttpGateway({ url: config.sms.http.url!, token: config.sms.http.token, templates: config.sms.http.templates, timeoutMs: config.sms.http.timeoutMs }, { logger: options.logger })
      : createLogGateway({ outbox: services.smsStore, logger: options.logger, newId: sortableId }))
  const noLimit = { reserve: async () => ({ over: false, release: async () => {} }) }
  const smsCodes = createSmsCodes({
    store: services.smsStore,
    gateway,
    limits: {
      perPhone: limiter('sms-phone', config.sms.perPhonePerHour, HOUR),
      perPhoneBurst: config.sms.resendIntervalSeconds > 0 ? limiter('sms-phone-burst', 1, config.sms.resendIntervalSeconds) : noLimit,
      perIp: limiter('sms-ip', config.sms.perIpPerHour, HOUR),
    },
    settings: config.sms,
    hashKey,
    logger: options.logger,
    newId: sortableId,
  })
  const endEverything = createEndEverything({
    listGrants: services.accountSessions.listGrants,
    revokeAllGrants: services.accountSessions.revokeAllGrants,
    deleteSessions: services.accountSessions.deleteSessions,
    cutSessions: services.accountSessions.cutSessions,
    signOutEverywhere: options.signOutEverywhere,
  })
  const clientName = async (clientId: string) => {
    const metadata = await services.clients.findMetadata(clientId)
    return typeof metadata?.client_name === 'string' ? metadata.client_name : clientId
  }
  const selfService = createSelfService({
    persons: services.persons,
    sms: smsCodes,
    endEverything,
    closureHooks: options.accountClosureHooks,
    exportSections: options.accountExportSections,
    // Grants that live now, then what the person allowed portals that keep no grant now (remembered consent).
    async describeSharing(personId) {
      const grants = await services.accountSessions.listGrants(personId)
      const remembered = await services.accountSessions.listConsentsWithoutGrant(personId, grants)
      return Promise.all([
        ...grants.map(async (g) => ({
          portal: await clientName(g.clientId),
          clientId: g.clientId,
          scopes: g.scope.split(' ').filter(Boolean),
          claims: g.claims,
          grantedAt: g.issuedAt ? new Date(g.issuedAt * 1000).toISOString() : null,
          record: 'grant',
        })),
        ...remembered.map(async (c) => ({
          portal: await clientName(c.clientId),
          clientId: c.clientId,
          scopes: c.scopes,
          claims: c.claims,
          grantedAt: new Date(c.grantedAt).toISOString(),
          record: 'remembered consent',
        })),
      ])
    },
  })
  const log = (event: Record<string, unknown>, message: string) => options.logger.info(event, message)
  const cookies = createCookieCodec({ keys: config.secrets.cookieKeys, secure: config.issuer.startsWith('https://'), path: '/account' })
  const signIn = createSignIn({
    issuer: config.issuer,
    internalUrl: config.accountCentre.internalUrl,
    sessionSeconds: config.accountCentre.sessionSeconds,
    cookies,
    loadJwks: services.keySet.loadSigningJwks as never,
  })
  const routers: Router[] = [
    selfServiceRoutes({
      provider: options.provider,
      persons: services.persons,
      selfService,
      renderer: options.renderer,
      onLogin: (e) => log({ event: 'login.succeeded', method: e.method, accountId: e.accountId, clientId: e.clientId }, 'sign-in'),
      onRegistered: (e) => log({ event: 'account.person.registered', accountId: e.accountId, clientId: e.clientId }, 'registered'),
      portalOf: options.portalOf,
    }),
    privacyRoutes(options.renderer),
    accountCentreRoutes(
      {
        persons: services.persons,
        selfService,
        renderer: options.renderer,
        cookies,
        signIn,
        sessions: services.accountSessions,
        endEverything,
        endSession: options.endSession,
        clientName,
        onEvent: (e) => log({ event: e.type, accountId: e.accountId, ...e.details }, 'account centre'),
      },
      options.accountExtensions ?? [],
    ),
  ]

  return {
    routers,
    selfService,
    smsCodes,
    endEverything,
    /** Registers the account centre's OIDC client (idempotent). */
    async ready(): Promise<void> {
      await ensureAccountCentreClient({
        issuer: config.issuer,
        findRecord: (clientId) => services.clients.findRecord(clientId),
        updateMetadata: (clientId, metadata) => services.clients.update(clientId, { metadata }),
        register: (input) => registerClient({ config, clients: services.clients, loadJwks: services.keySet.loadSigningJwks }, input),
      })
    },
  }
}
