/*
 * Administration wiring: the service (can() before every read and write), the JSON API under
 * /admin/api, the console under /admin, and the console's own OIDC client registration.
 */
import type { Audit } from '../audit/index.js'
import type { Config } from '../config/index.js'
import type { Renderer } from '../http/render.js'
import type { Jwk } from '../keys/index.js'
import { buildClientMetadata } from '../oidc/index.js'
import type { AdminStore } from '../store/admin.js'
import type { ClientStore } from '../store/clients.js'
import { createDashboardStore } from '../store/dashboard.js'
import { adminApiRoutes } from './api.js'
import { adminConsoleRoutes } from './console.js'
import { createDashboard } from './dashboard.js'
import { createAdminPages } from './pages.js'
import type { DivisionScope } from './scope.js'
import { createAdministration, type AdministrationDeps } from './service.js'
import { CONSOLE_CLIENT_ID, createTokenVerifier } from './tokens.js'

export { createAdministration, type Administration } from './service.js'
export { can, canGrant, ROLES, PERMISSIONS, ROLE_PERMISSIONS, type Actor, type Role, type Permission } from './roles.js'
export { shapeScope, type DivisionScope } from './scope.js'
export { AdminError } from './errors.js'
export { CONSOLE_CLIENT_ID, adminApiResource } from './tokens.js'

export interface AdminModuleDeps {
  config: Config
  store: AdminStore
  audit: Audit
  scope: DivisionScope
  clients: ClientStore
  loadJwks: () => Promise<Jwk[]>
  keys: { keyEncryptionKey: Buffer; piiEncryptionKey: Buffer; piiBlindIndexKey: Buffer }
  renderer: Renderer
  /** Other domains' functions the administration acts through (sessions, throttle, MFA, passwords). */
  identity: Pick<AdministrationDeps, 'endSessions' | 'clearSignInFailures' | 'resetSecondFactor' | 'passwords'>
  divisionName?: (code: string) => string | undefined
}

export function createAdminModule(deps: AdminModuleDeps) {
  const administration = createAdministration({ config: deps.config, store: deps.store, audit: deps.audit, scope: deps.scope, clients: deps.clients, loadJwks: deps.loadJwks, ...deps.identity, ...deps.keys })
  const dashboard = createDashboard({ store: createDashboardStore(deps.store.db), scope: deps.scope, divisionName: deps.divisionName, personsMaxAgeSeconds: deps.config.jobs.dashboardPersonsMaxAgeSeconds })
  const tokens = createTokenVerifier({ issuer: deps.config.issuer, loadJwks: deps.loadJwks })
  const api = adminApiRoutes({ issuer: deps.config.issuer, requiredAcr: deps.config.admin.requiredAcr, administration, audit: deps.audit, tokens })
  const console = adminConsoleRoutes({
    config: deps.config,
    administration,
    audit: deps.audit,
    store: deps.store,
    scope: deps.scope,
    tokens,
    pages: createAdminPages(deps.renderer),
    dashboard,
    tokenEndpoint: `${deps.config.accountCentre.internalUrl ?? deps.config.issuer}/token`,
  })
  return { administration, api, console, dashboard, ensureConsoleClient }

  /** The console is a public first-party client (PKCE); its redirect follows the issuer. */
  async function ensureConsoleClient(): Promise<void> {
    const metadata = buildClientMetadata({
      name: 'OneDoor 管理后台',
      redirectUris: [`${deps.config.issuer}/admin/callback`],
      postLogoutRedirectUris: [`${deps.config.issuer}/admin/signed-out`],
      public: true,
    })
    metadata.grant_types = ['authorization_code']
    await deps.store.upsertConsoleClient(CONSOLE_CLIENT_ID, 'OneDoor 管理后台', metadata)
    deps.clients.invalidate(CONSOLE_CLIENT_ID)
  }
}
