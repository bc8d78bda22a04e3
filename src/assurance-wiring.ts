/*
 * Composition of issue 3's second half (identity-B), kept beside app.ts so that the composition
 * root only calls it: TOTP and recovery codes, real-name assurance levels and their evidence,
 * legal persons and mandates, the acting-for grants, the interaction policy and its pages, and the
 * account-centre pages where a legal representative manages agents. May
 * import every layer.
 */
import type Provider from 'oidc-provider'
import type { AuditEvent } from './audit/index.js'
import type { Logger } from 'pino'
import type { AccountExtension } from './account/index.js'
import { createAcrMap, createAssurance, createEnterprises, createIdentityVerifier, createMandates, type Persons } from './accounts/index.js'
import type { Config } from './config/index.js'
import type { Renderer } from './http/render.js'
import { createEnrolment, createVerification } from './mfa/index.js'
import { createActingGrants } from './oidc/acting.js'
import { agentsExtension, totpExtension } from './account-agents/index.js'
import { createAssurancePages } from './oidc/interactions/assurance-pages.js'
import { buildPolicy } from './oidc/policy.js'
import { keyFromBase64 } from './shared/crypto.js'
import { createAssuranceStore } from './store/assurance.js'
import type { ClientStore } from './store/clients.js'
import type { Db } from './store/db.js'
import { createEnterpriseStore } from './store/enterprises.js'
import { createMfaStore } from './store/mfa.js'

/** Services that work without HTTP (the CLI uses them too). */
export function createAssuranceServices(config: Config, db: Db, persons: Persons, clients: Pick<ClientStore, 'findMetadata'>, log?: (message: string) => void) {
  const piiEncryptionKey = keyFromBase64(config.secrets.piiEncryptionKey)
  const piiBlindIndexKey = keyFromBase64(config.secrets.piiBlindIndexKey)
  const mfaStore = createMfaStore(db)
  const mfaKeys = { sealKey: piiEncryptionKey, hashKey: piiBlindIndexKey }
  const enterpriseStore = createEnterpriseStore(db)
  const enterprises = createEnterprises({ store: enterpriseStore, piiBlindIndexKey })
  const mandates = createMandates({ store: enterpriseStore, enterprises, clientExists: async (clientId) => (await clients.findMetadata(clientId)) !== undefined })
  const acr = createAcrMap(config.assurance.acrByLevel)
  const assurance = createAssurance({
    store: createAssuranceStore(db),
    verifier: createIdentityVerifier(config.assurance.identityVerification, log),
    revealIdNumber: (id) => persons.revealIdNumber(id),
  })
  const enrolment = createEnrolment({ store: mfaStore, keys: mfaKeys, settings: config.mfa.totp, recoveryCodeCount: config.mfa.recoveryCodes })
  return {
    acr,
    enterprises,
    mandates,
    acting: createActingGrants({ store: enterpriseStore, mandates }),
    assurance,
    enrolment,
    verification: createVerification({ store: mfaStore, keys: mfaKeys, settings: config.mfa.totp }),
    mfaStore,
    /** Account closure (identity-A's closure hook): the authenticator goes, mandates held as agent end. */
    /** "Download my data": the second factor's state, the real-name evidence and mandates held as agent. */
    async describePerson(personId: string): Promise<Record<string, unknown>> {
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
      const secondFactor = await enrolment.status(personId)
      const evidence = await assurance.listEvidence(personId)
      const mandates = await enterpriseStore.listMandatesOfAgent(personId)
      return {
        secondFactor: secondFactor.enrolled ? { totp: true, since: iso(secondFactor.confirmedAt), recoveryCodesLeft: secondFactor.recoveryCodesLeft } : { totp: false },
        realNameVerification: evidence.map((e) => ({ level: e.level, method: e.method, verifiedBy: e.verifiedBy, verifiedAt: iso(e.verifiedAt) })),
        mandatesAsAgent: mandates.map((m) => ({ enterpriseId: m.enterpriseId, serviceSystems: m.clientIds ?? 'all', validUntil: iso(m.validUntil), grantedAt: iso(m.createdAt), revokedAt: iso(m.revokedAt) })),
      }
    },
    async forgetPerson(personId: string): Promise<void> {
      await mfaStore.removeTotp(personId)
      await enterpriseStore.revokeMandatesOfAgent(personId, Date.now())
    },
  }
}

/** Second-factor outcomes recorded in the audit trail (issue 5). */
const MFA_AUDIT_TYPES: Record<string, AuditEvent['type'] | undefined> = {
  'mfa.totp.verified': 'auth.mfa.succeeded',
  'mfa.recovery_code.used': 'auth.mfa.succeeded',
  'mfa.totp.enrolled': 'auth.mfa.succeeded',
  'mfa.totp.verification_failed': 'auth.mfa.failed',
  'stepup.requested': 'auth.stepup.requested',
  'stepup.succeeded': 'auth.stepup.succeeded',
  'stepup.failed': 'auth.stepup.failed',
}

const FAILURE_TYPES: ReadonlySet<string> = new Set(['auth.mfa.failed', 'auth.stepup.failed'])

export type AssuranceServices = ReturnType<typeof createAssuranceServices>

/** What the provider configuration and the interaction router need. */
export function createAssuranceFlow(services: AssuranceServices & { persons: Persons }, options: { renderer: Renderer; provider: () => Provider; logger: Logger; audit?: (event: AuditEvent) => void }) {
  const onEvent = (event: { type: string; accountId: string; clientId?: string; details?: Record<string, unknown> }) => {
    options.logger.info({ event: event.type, accountId: event.accountId, clientId: event.clientId }, 'identity event')
    const audited = MFA_AUDIT_TYPES[event.type]
    if (audited) {
      const { errorCode, ...details } = event.details ?? {}
      const failed = FAILURE_TYPES.has(audited)
      options.audit?.({ type: audited, actor: { type: 'person', id: event.accountId, clientId: event.clientId ?? null }, result: failed ? 'failure' : 'success', errorCode: failed ? String(errorCode ?? 'MFA_CODE_INVALID') : null, details: { event: event.type, ...details } })
    }
  }
  const pages = createAssurancePages({ ...services, renderer: options.renderer, provider: options.provider, onEvent })
  return {
    policy: buildPolicy(services),
    identityClaims: { acting: services.acting, revealIdNumber: (id: string) => services.persons.revealIdNumber(id) },
    prompts: pages.prompts,
    extendInteractions: pages.routes,
    accountExtensions: [totpExtension({ ...services, onEvent }), agentsExtension({ ...services, onEvent })] satisfies AccountExtension[],
  }
}
