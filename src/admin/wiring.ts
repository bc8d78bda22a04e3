/*
 * How administration and the audit trail join the composition root (src/app.ts) with as few
 * lines there as possible: services the CLI also needs, the provider-event sink, the sign-in
 * callbacks, and the routers (API + console) once the division tree is loaded.
 */
import type Router from '@koa/router'
import type { Logger } from 'pino'
import { createAudit, type AuditEvent } from '../audit/index.js'
import type { Config } from '../config/index.js'
import type { DivisionTree } from '../federation/index.js'
import type { Renderer } from '../http/render.js'
import type { Jwk } from '../keys/index.js'
import { keyFromBase64 } from '../shared/crypto.js'
import { createAdminStore, type AdminStore } from '../store/admin.js'
import { createAuditStore } from '../store/audit.js'
import type { ClientStore } from '../store/clients.js'
import type { Db } from '../store/db.js'
import { createAdminModule } from './index.js'
import type { AdministrationDeps } from './service.js'
import { shapeScope, type DivisionScope } from './scope.js'

/** Audit trail and admin rows: part of createServices(), so the CLI has them too. */
export function createAuditServices(config: Config, db: Db) {
  const audit = createAudit({ store: createAuditStore(db), retentionDays: config.audit.retentionDays })
  return { audit, adminStore: createAdminStore(db) }
}

/** The real division tree when loaded (non-standard units included), the code shape otherwise. */
export function scopeFromTree(tree: DivisionTree | undefined): DivisionScope {
  if (!tree) return shapeScope
  return {
    isWithin: (code, scopeCode) => (tree.get(code) && tree.get(scopeCode) ? tree.isWithin(code, scopeCode) : shapeScope.isWithin(code, scopeCode)),
    prefixesFor: shapeScope.prefixesFor,
    levelOf: (code) => (tree.get(code)?.level as ReturnType<DivisionScope['levelOf']>) ?? shapeScope.levelOf(code),
  }
}

export interface AdminWiringDeps {
  config: Config
  logger: Logger
  renderer: Renderer
  services: ReturnType<typeof createAuditServices> & {
    clients: ClientStore
    keySet: { loadSigningJwks: () => Promise<Jwk[]> }
    divisions?: { tree(): Promise<DivisionTree> }
    persons?: AdministrationDeps['passwords'] & { clearSignInFailures: NonNullable<AdministrationDeps['clearSignInFailures']> }
    enrolment?: { reset: NonNullable<AdministrationDeps['resetSecondFactor']> }
  }
  endSessions?: AdministrationDeps['endSessions']
}

export function createAdminWiring(deps: AdminWiringDeps) {
  const { audit, adminStore } = deps.services
  const divisionOfClient = clientDivisionCache(adminStore)
  const routers: Router[] = []
  let noteAdminFailure: ((identifier: string, from: { ip?: string; clientId?: string }) => Promise<void>) | undefined
  let refreshDashboard: (() => Promise<unknown>) | undefined

  // Background writes still running: a graceful shutdown waits for them before the pool closes,
  // so a request answered during the drain keeps its audit record (issue 6, drill 3). Counted,
  // with whoever waits for the count to reach zero.
  let pendingWrites = 0
  let drainWaiters: (() => void)[] = []
  const writeSettled = () => {
    if (--pendingWrites > 0) return
    const waiters = drainWaiters
    drainWaiters = []
    for (const resolve of waiters) resolve()
  }

  /** Provider and sign-in events: written in the background, a failure logged (never thrown into the flow). */
  function sink(event: AuditEvent): void {
    let started: Promise<unknown>
    try {
      started = recordWithDivision(event)
    } catch (err) {
      // Never thrown into the provider's event emitter: logged below like a failed write.
      started = Promise.reject(err)
    }
    // A count, not a set of promises: every token grant passes here, and a promise per step
    // (settle, then leave the set) was over a kilobyte of each grant's allocation.
    pendingWrites += 1
    void started.then(writeSettled, (err: unknown) => {
      try {
        deps.logger.error({ err, type: event.type }, 'could not record audit event')
      } finally {
        writeSettled()
      }
    })
  }

  /**
   * The record carries the division of its portal, so that division's administrators see it.
   * Every token grant passes here: a division already known is used as it is, without a promise
   * for the look-up.
   */
  function recordWithDivision(event: AuditEvent): Promise<unknown> {
    if (event.divisionCode != null) return audit.record(event)
    const clientId = event.actor.clientId ?? (event.target?.type === 'client' ? event.target.id : null)
    if (!clientId) return audit.record({ ...event, divisionCode: null })
    const known = divisionOfClient.known(clientId)
    if (known !== undefined) return audit.record({ ...event, divisionCode: known })
    return divisionOfClient(clientId).then((divisionCode) => audit.record({ ...event, divisionCode }))
  }

  return {
    sink,
    /** Resolves when every background audit write started so far has ended. */
    async drain(): Promise<void> {
      if (pendingWrites > 0) await new Promise<void>((resolve) => drainWaiters.push(resolve))
    },
    routers,
    /** The dashboard rollups' periodic job (app.ts schedules it); a no-op until ready(). */
    refreshDashboard: async (): Promise<void> => void (await refreshDashboard?.()),
    onLogin(e: { accountId: string; clientId: string; ip: string }) {
      sink({ type: 'auth.login.succeeded', actor: { type: 'person', id: e.accountId, clientId: e.clientId, ip: e.ip }, details: { method: 'password' } })
    },
    onLoginFailed(e: { clientId: string; ip: string; reason?: string; identifier?: string }) {
      sink({ type: 'auth.login.failed', actor: { type: 'anonymous', clientId: e.clientId, ip: e.ip }, result: 'failure', errorCode: e.reason ?? 'invalid_credentials' })
      if (e.identifier && noteAdminFailure) {
        void noteAdminFailure(e.identifier, { ip: e.ip, clientId: e.clientId }).catch((err) => deps.logger.error({ err }, 'could not count an admin sign-in failure'))
      }
    },
    async ready(): Promise<void> {
      const tree = await deps.services.divisions?.tree().catch((err) => {
        deps.logger.warn({ err }, 'division tree unavailable; admin scope falls back to code shape')
        return undefined
      })
      const module = createAdminModule({
        config: deps.config,
        store: adminStore,
        audit,
        scope: scopeFromTree(tree),
        clients: deps.services.clients,
        loadJwks: deps.services.keySet.loadSigningJwks,
        keys: {
          keyEncryptionKey: keyFromBase64(deps.config.secrets.keyEncryptionKey),
          piiEncryptionKey: keyFromBase64(deps.config.secrets.piiEncryptionKey),
          piiBlindIndexKey: keyFromBase64(deps.config.secrets.piiBlindIndexKey),
        },
        renderer: deps.renderer,
        identity: {
          endSessions: deps.endSessions,
          clearSignInFailures: deps.services.persons?.clearSignInFailures,
          resetSecondFactor: deps.services.enrolment?.reset,
          passwords: deps.services.persons,
        },
        divisionName: tree ? (code) => tree.get(code)?.name : undefined,
      })
      noteAdminFailure = module.administration.noteFailedSignIn
      refreshDashboard = module.dashboard.refresh
      await module.ensureConsoleClient()
      routers.push(module.api, module.console)
    },
  }
}

/** clientId → division code, cached briefly (sign-in bursts name the same few clients). */
function clientDivisionCache(store: AdminStore) {
  const cache = new Map<string, { at: number; value: string | null }>()
  /** The division remembered for the client in the last minute, or undefined. */
  const known = (clientId: string): string | null | undefined => {
    const hit = cache.get(clientId)
    return hit && Date.now() - hit.at < 60_000 ? hit.value : undefined
  }
  const lookUp = async (clientId: string): Promise<string | null> => {
    const hit = known(clientId)
    if (hit !== undefined) return hit
    const value = (await store.findClient(clientId))?.divisionCode ?? null
    cache.set(clientId, { at: Date.now(), value })
    return value
  }
  return Object.assign(lookUp, { known })
}
