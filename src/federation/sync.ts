/*
 * `onedoor federation sync`: makes the clients table match the manifest. A plan is computed
 * first (create / update / suspend / unchanged) with every problem collected; any problem
 * aborts before a single write. The writes then run in one transaction, so the registry is
 * never half-synced. A second run over the same manifest finds nothing to change.
 */
import type { AuditEventType } from '../audit/index.js'
import { isAppError } from '../shared/errors.js'
import type { DivisionTree } from './divisions.js'
import { FederationError } from './errors.js'
import type { Manifest, ManifestSystem } from './manifest.js'
import type { FederationDeps, PreparedSystem, StoredClient, SystemRegistrationInput } from './types.js'

export interface SyncOptions {
  dryRun?: boolean
  /** Refuse http:// URIs (production). Default: when the issuer is https. */
  requireHttps?: boolean
  /** Called after each write (progress bars). */
  onProgress?: (done: number, total: number) => void
  /** Runs inside the transaction after the writes: a failure (e.g. the secrets file) rolls everything back. */
  beforeCommit?: (result: SyncResult) => Promise<void>
}

export interface SyncChange {
  clientId: string
  name: string
  divisionCode: string
  /** For updates: the fields that differ. */
  fields?: string[]
}

export interface SyncResult {
  dryRun: boolean
  created: SyncChange[]
  updated: SyncChange[]
  suspended: SyncChange[]
  unchanged: number
  /** Secrets of created systems: shown once, never stored in clear. Empty on a dry run. */
  secrets: { clientId: string; clientSecret: string }[]
}

interface Plan {
  creates: PreparedSystem[]
  updates: { prepared: PreparedSystem; fields: string[] }[]
  suspends: StoredClient[]
  unchanged: number
  problems: string[]
}

/**
 * Applies the manifest (or, with dryRun, only reports what would change). Throws
 * FEDERATION_MANIFEST_INVALID with `details.problems` listing every bad entry; nothing is written then.
 */
export async function syncFederation(deps: FederationDeps, manifest: Manifest, options: SyncOptions = {}): Promise<SyncResult> {
  const plan = await planSync(deps, manifest, options)
  if (plan.problems.length > 0) throw FederationError.MANIFEST_INVALID({ problems: plan.problems })
  const result: SyncResult = {
    dryRun: options.dryRun === true,
    created: plan.creates.map((p) => change(p)),
    updated: plan.updates.map((u) => ({ ...change(u.prepared), fields: u.fields })),
    suspended: plan.suspends.map((s) => ({ clientId: s.clientId, name: s.name, divisionCode: s.divisionCode ?? '' })),
    unchanged: plan.unchanged,
    secrets: [],
  }
  if (options.dryRun) return result

  const total = plan.creates.length + plan.updates.length + plan.suspends.length
  let done = 0
  const step = () => options.onProgress?.(++done, total)
  await deps.clients.transaction(async (trx) => {
    const audit = (type: AuditEventType, clientId: string, divisionCode: string | null, details: Record<string, unknown> = {}) =>
      deps.audit?.record({ type, actor: { type: 'system', id: 'federation-sync' }, divisionCode, target: { type: 'client', id: clientId }, details }, trx)
    for (const p of plan.creates) {
      await deps.clients.insert(
        { clientId: p.clientId, name: p.name, metadata: p.metadata, secret: p.clientSecret, divisionCode: p.divisionCode, status: p.status, federation: p.federation },
        trx,
      )
      await audit('admin.client.created', p.clientId, p.divisionCode)
      if (p.clientSecret) result.secrets.push({ clientId: p.clientId, clientSecret: p.clientSecret })
      step()
    }
    for (const { prepared: p, fields } of plan.updates) {
      await deps.clients.update(p.clientId, { name: p.name, metadata: p.metadata, divisionCode: p.divisionCode, status: p.status, federation: p.federation }, trx)
      await audit(fields.includes('status') ? 'admin.client.activated' : 'admin.client.updated', p.clientId, p.divisionCode, { fields })
      step()
    }
    for (const s of plan.suspends) {
      await deps.clients.update(s.clientId, { status: 'suspended' }, trx)
      await audit('admin.client.suspended', s.clientId, s.divisionCode, { reason: 'removed from the federation manifest' })
      step()
    }
    await options.beforeCommit?.(result)
  })
  return result
}

async function planSync(deps: FederationDeps, manifest: Manifest, options: SyncOptions): Promise<Plan> {
  const requireHttps = options.requireHttps ?? deps.issuer.startsWith('https://')
  const tree = await deps.divisions.tree()
  const existing = new Map((await deps.clients.list()).map((c) => [c.clientId, c]))
  const validate = await deps.createValidator()
  const plan: Plan = { creates: [], updates: [], suspends: [], unchanged: 0, problems: [] }
  const seen = new Map<string, number>()

  for (const [index, system] of manifest.systems.entries()) {
    const label = `systems[${index}] (${system.clientId})`
    const problems: string[] = []
    const first = seen.get(system.clientId)
    if (first !== undefined) problems.push(`duplicate client id: also systems[${first}]`)
    else seen.set(system.clientId, index)
    problems.push(...divisionProblems(tree, system.divisionCode))
    problems.push(...uriProblems(system, requireHttps))
    const current = existing.get(system.clientId)
    if (current && current.source !== 'manifest') {
      problems.push(`client id already registered outside the manifest (source: ${current.source}); choose another id`)
    }
    if (problems.length === 0) {
      try {
        const prepared = await deps.prepareSystem(registrationOf(system), { withSecret: !current, validate })
        if (!current) plan.creates.push(prepared)
        else {
          const fields = changedFields(current, prepared)
          if (fields.length > 0) plan.updates.push({ prepared, fields })
          else plan.unchanged += 1
        }
      } catch (err) {
        if (!isAppError(err)) throw err
        problems.push(err.message)
      }
    }
    plan.problems.push(...problems.map((p) => `${label}: ${p}`))
  }

  for (const client of existing.values()) {
    if (client.source === 'manifest' && !seen.has(client.clientId) && client.status !== 'suspended') plan.suspends.push(client)
  }
  return plan
}

function registrationOf(system: ManifestSystem): SystemRegistrationInput {
  return {
    clientId: system.clientId,
    name: system.name,
    redirectUris: system.redirectUris,
    postLogoutRedirectUris: system.postLogoutRedirectUris,
    backchannelLogoutUri: system.backchannelLogoutUri,
    divisionCode: system.divisionCode,
    allowedScopes: system.allowedScopes,
    pairwise: true,
    sector: system.sector ?? null,
    requiredAssuranceLevel: system.requiredAssuranceLevel,
    consentPolicy: system.consentPolicy,
    portalUrl: system.portalUrl,
    status: system.status,
    source: 'manifest',
  }
}

export function divisionProblems(tree: DivisionTree, code: string): string[] {
  const division = tree.get(code)
  if (division && !division.nonStandard) return []
  if (division) return [`division ${code} (${division.name}) is a statistical-only unit, not an administrative division`]
  const successors = tree.successorsOf(code)
  if (successors.length > 0) {
    return [`division code ${code} was retired in ${successors[0].year}; now ${successors.map((s) => s.newCode).join(' or ')}`]
  }
  return [`unknown division code ${code}`]
}

/** Every URI must parse, be http(s) without a fragment, and be https when required. */
export function uriProblems(system: Pick<ManifestSystem, 'portalUrl' | 'redirectUris' | 'postLogoutRedirectUris' | 'backchannelLogoutUri'>, requireHttps: boolean): string[] {
  const problems: string[] = []
  const check = (field: string, value: string) => {
    if (!URL.canParse(value)) return void problems.push(`${field}: malformed URI`)
    const url = new URL(value)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return void problems.push(`${field}: must be an http(s) URI`)
    if (url.hash) problems.push(`${field}: must not contain a fragment`)
    if (url.username || url.password) problems.push(`${field}: must not contain credentials`)
    if (requireHttps && url.protocol !== 'https:') problems.push(`${field}: http is not allowed in production; use https`)
  }
  check('portalUrl', system.portalUrl)
  system.redirectUris.forEach((uri, i) => check(`redirectUris[${i}]`, uri))
  system.postLogoutRedirectUris.forEach((uri, i) => check(`postLogoutRedirectUris[${i}]`, uri))
  if (system.backchannelLogoutUri !== undefined) check('backchannelLogoutUri', system.backchannelLogoutUri)
  return problems
}

function changedFields(current: StoredClient, next: PreparedSystem): string[] {
  const fields: string[] = []
  if (current.name !== next.name) fields.push('name')
  if (current.divisionCode !== next.divisionCode) fields.push('divisionCode')
  if (current.status !== next.status) fields.push('status')
  if (current.portalUrl !== next.federation.portalUrl) fields.push('portalUrl')
  if ((current.sector ?? null) !== (next.federation.sector ?? null)) fields.push('sector')
  if (current.requiredAssuranceLevel !== next.federation.requiredAssuranceLevel) fields.push('requiredAssuranceLevel')
  if (current.consentPolicy !== next.federation.consentPolicy) fields.push('consentPolicy')
  const before = current.metadata as Record<string, unknown>
  const after = next.metadata
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (canonical(before[key]) !== canonical(after[key])) fields.push(key)
  }
  return fields
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v)) ?? 'undefined'
}

function change(p: PreparedSystem): SyncChange {
  return { clientId: p.clientId, name: p.name, divisionCode: p.divisionCode ?? '' }
}
