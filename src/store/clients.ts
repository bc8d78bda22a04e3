/*
 * Client (relying party) rows. Secrets are sealed with the key-encryption key: a token
 * request compares in constant time against the opened secret, never a slow hash.
 */
import { open, seal } from '../shared/crypto.js'
import type { Db } from './db.js'

export interface ClientRecord {
  clientId: string
  name: string
  metadata: Record<string, unknown>
  divisionCode: string | null
  status: 'onboarding' | 'active' | 'suspended'
  createdAt: number
  updatedAt: number
}

export interface NewClient {
  clientId: string
  name: string
  metadata: Record<string, unknown>
  secret?: string
  divisionCode?: string | null
  status?: ClientRecord['status']
}

export type ClientStore = ReturnType<typeof createClientStore>

export function createClientStore(db: Db, keyEncryptionKey: Buffer, options: { cacheMs?: number } = {}) {
  const cacheMs = options.cacheMs ?? 2000
  // A short cache: token requests of one client come in bursts; changes show within cacheMs.
  const cache = new Map<string, { at: number; value: Record<string, unknown> | undefined }>()

  return { insert, findMetadata, list, backchannelLogoutHosts, invalidate }

  async function insert(client: NewClient): Promise<void> {
    const at = Date.now()
    await db('clients').insert({
      client_id: client.clientId,
      name: client.name,
      metadata: JSON.stringify(client.metadata),
      secret_sealed: client.secret ? seal(keyEncryptionKey, client.secret, aad(client.clientId)) : null,
      division_code: client.divisionCode ?? null,
      status: client.status ?? 'active',
      created_at: at,
      updated_at: at,
    })
    invalidate(client.clientId)
  }

  /** oidc-provider metadata for an active client, secret included; undefined otherwise. */
  async function findMetadata(clientId: string): Promise<Record<string, unknown> | undefined> {
    const hit = cache.get(clientId)
    if (hit && Date.now() - hit.at < cacheMs) return hit.value
    const row = await db('clients').where({ client_id: clientId }).first()
    let value: Record<string, unknown> | undefined
    if (row && row.status !== 'suspended') {
      const metadata: Record<string, unknown> = { ...JSON.parse(row.metadata), client_id: row.client_id }
      if (row.secret_sealed) metadata.client_secret = open(keyEncryptionKey, row.secret_sealed, aad(row.client_id))
      value = metadata
    }
    cache.set(clientId, { at: Date.now(), value })
    return value
  }

  async function list(): Promise<ClientRecord[]> {
    const rows = await db('clients').orderBy('created_at', 'asc')
    return rows.map((row) => ({
      clientId: row.client_id,
      name: row.name,
      metadata: JSON.parse(row.metadata),
      divisionCode: row.division_code,
      status: row.status,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }))
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

function aad(clientId: string): string {
  return `client-secret:${clientId}`
}
