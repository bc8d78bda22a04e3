/*
 * Client (relying party) rows. Secrets are sealed with the key-encryption key: a token
 * request compares in constant time against the opened secret, never a slow hash.
 */
import { open, seal } from '../shared/crypto.js'
import type { Knex } from 'knex'
import type { Db } from './db.js'
import { isStorableKey } from './errors.js'

export interface ClientRecord {
  clientId: string
  name: string
  metadata: Record<string, unknown>
  divisionCode: string | null
  status: 'onboarding' | 'active' | 'suspended'
  createdAt: number
  updatedAt: number
  /** Federation attributes (migration 20261128200200). */
  portalUrl: string | null
  sector: string | null
  requiredAssuranceLevel: number
  consentPolicy: 'explicit' | 'implicit'
  source: 'manual' | 'manifest' | 'onboard'
  hasSecret: boolean
}

/** Federation attributes a write may set; omitted ones keep their column default. */
export interface ClientFederationFields {
  portalUrl?: string | null
  sector?: string | null
  requiredAssuranceLevel?: number
  consentPolicy?: ClientRecord['consentPolicy']
  source?: ClientRecord['source']
}

export interface NewClient {
  clientId: string
  name: string
  metadata: Record<string, unknown>
  secret?: string
  divisionCode?: string | null
  status?: ClientRecord['status']
  federation?: ClientFederationFields
}

export interface ClientUpdate {
  name?: string
  metadata?: Record<string, unknown>
  divisionCode?: string | null
  status?: ClientRecord['status']
  federation?: ClientFederationFields
}

/** The database handle or an open transaction: writes of a federation sync share one. */
type Conn = Db | Knex.Transaction

export type ClientStore = ReturnType<typeof createClientStore>

export function createClientStore(db: Db, keyEncryptionKey: Buffer, options: { cacheMs?: number } = {}) {
  const cacheMs = options.cacheMs ?? 2000
  // A short cache: token requests of one client come in bursts; changes show within cacheMs.
  const cache = new Map<string, { at: number; value: Record<string, unknown> | undefined }>()

  return { insert, update, findMetadata, findRecord, list, backchannelLogoutHosts, invalidate, transaction }

  async function insert(client: NewClient, conn: Conn = db): Promise<void> {
    const at = Date.now()
    await conn('clients').insert({
      client_id: client.clientId,
      name: client.name,
      metadata: JSON.stringify(client.metadata),
      secret_sealed: client.secret ? seal(keyEncryptionKey, client.secret, aad(client.clientId)) : null,
      division_code: client.divisionCode ?? null,
      status: client.status ?? 'active',
      created_at: at,
      updated_at: at,
      ...federationColumns(client.federation),
    })
    invalidate(client.clientId)
  }

  /** Changes the given fields; the sealed secret is never touched (existing secrets are kept). */
  async function update(clientId: string, change: ClientUpdate, conn: Conn = db): Promise<void> {
    const row: Record<string, unknown> = { updated_at: Date.now(), ...federationColumns(change.federation) }
    if (change.name !== undefined) row.name = change.name
    if (change.metadata !== undefined) row.metadata = JSON.stringify(change.metadata)
    if (change.divisionCode !== undefined) row.division_code = change.divisionCode
    if (change.status !== undefined) row.status = change.status
    await conn('clients').where({ client_id: clientId }).update(row)
    invalidate(clientId)
  }

  /** Runs `work` in one transaction; the metadata cache is dropped afterwards either way. */
  async function transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await db.transaction(work)
    } finally {
      invalidate()
    }
  }

  async function findRecord(clientId: string, conn: Conn = db): Promise<ClientRecord | undefined> {
    const row = await conn('clients').where({ client_id: clientId }).first()
    return row ? toRecord(row) : undefined
  }

  /** oidc-provider metadata for an active client, secret included; undefined otherwise. */
  async function findMetadata(clientId: string): Promise<Record<string, unknown> | undefined> {
    if (!isStorableKey(clientId)) return undefined
    const hit = cache.get(clientId)
    if (hit && Date.now() - hit.at < cacheMs) return hit.value
    const row = await db('clients').where({ client_id: clientId }).first()
    let value: Record<string, unknown> | undefined
    if (row && row.status !== 'suspended') {
      const metadata: Record<string, unknown> = { ...JSON.parse(row.metadata), client_id: row.client_id }
      // Federation columns the provider reads (extraClientMetadata): pairwise sector and consent policy.
      metadata.onedoor_sector = row.sector ?? row.client_id
      metadata.onedoor_consent_policy = row.consent_policy ?? 'explicit'
      if (row.secret_sealed) metadata.client_secret = open(keyEncryptionKey, row.secret_sealed, aad(row.client_id))
      value = metadata
    }
    cache.set(clientId, { at: Date.now(), value })
    return value
  }

  async function list(conn: Conn = db): Promise<ClientRecord[]> {
    const rows = await conn('clients').orderBy('created_at', 'asc').orderBy('client_id', 'asc')
    return rows.map(toRecord)
  }

  /** Hosts (host:port) of every registered back-channel logout URI. */
  async function backchannelLogoutHosts(): Promise<Set<string>> {
    const rows = await db('clients').select('metadata')
    const hosts = new Set<string>()
    for (const row of rows) {
      const uri = JSON.parse(row.metadata).backchannel_logout_uri
      if (typeof uri === 'string' && URL.canParse(uri)) hosts.add(new URL(uri).host)
    }
    return hosts
  }

  function invalidate(clientId?: string): void {
    if (clientId) cache.delete(clientId)
    else cache.clear()
  }
}

function toRecord(row: Record<string, any>): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    metadata: JSON.parse(row.metadata),
    divisionCode: row.division_code,
    status: row.status,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    portalUrl: row.portal_url ?? null,
    sector: row.sector ?? null,
    requiredAssuranceLevel: Number(row.required_assurance_level ?? 1),
    consentPolicy: row.consent_policy ?? 'explicit',
    source: row.source ?? 'manual',
    hasSecret: Boolean(row.secret_sealed),
  }
}

function federationColumns(fields: ClientFederationFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (!fields) return out
  if (fields.portalUrl !== undefined) out.portal_url = fields.portalUrl
  if (fields.sector !== undefined) out.sector = fields.sector
  if (fields.requiredAssuranceLevel !== undefined) out.required_assurance_level = fields.requiredAssuranceLevel
  if (fields.consentPolicy !== undefined) out.consent_policy = fields.consentPolicy
  if (fields.source !== undefined) out.source = fields.source
  return out
}

function aad(clientId: string): string {
  return `client-secret:${clientId}`
}
