/* Signing-key rows. Private JWKs are sealed with the key-encryption key before they are written. */
import type { Db } from './db.js'

export type KeyState = 'next' | 'active' | 'retired'

export interface SigningKeyRow {
  kid: string
  alg: string
  state: KeyState
  publicJwk: Record<string, unknown>
  privateJwkSealed: string
  createdAt: number
  activatedAt: number | null
  retiredAt: number | null
  expiresAt: number | null
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>

/** Arbitrary constant naming the key-set lock among the database's advisory locks. */
const KEY_SET_LOCK_KEY = 0x0ed0_4b53

export function createSigningKeyStore(db: Db) {
  return { listPublishable, insert, transaction, version }

  /** Every key that belongs in the JWKS at `now`: active, next, and retired ones not yet expired. */
  async function listPublishable(now: number, trx: Db = db): Promise<SigningKeyRow[]> {
    const rows = await trx('signing_keys')
      .where((q) => q.whereIn('state', ['active', 'next']).orWhere((r) => r.where('state', 'retired').andWhere('expires_at', '>', now)))
      .orderBy('created_at', 'asc')
    return rows.map(toRow)
  }

  async function insert(row: SigningKeyRow, trx: Db = db): Promise<void> {
    await trx('signing_keys').insert({
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      public_jwk: JSON.stringify(row.publicJwk),
      private_jwk_sealed: row.privateJwkSealed,
      created_at: row.createdAt,
      activated_at: row.activatedAt,
      retired_at: row.retiredAt,
      expires_at: row.expiresAt,
    })
  }

  /** A fingerprint of the key set; nodes compare it to notice a rotation made elsewhere. */
  async function version(now: number): Promise<string> {
    const rows = await listPublishable(now)
    return rows.map((r) => `${r.kid}:${r.state}`).join(',')
  }

  /**
   * Key-set changes are serialised: two nodes starting together on an empty database (or two
   * rotations at once) would otherwise each see no active key and both insert one. PostgreSQL:
   * a transaction-level advisory lock keyed by schema; SQLite has a single writer already.
   */
  async function transaction<T>(work: (trx: Db, store: TrxStore) => Promise<T>): Promise<T> {
    return db.transaction(async (trx) => {
      if (db.client.config.client === 'pg') await trx.raw("select pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '')), ?)", [KEY_SET_LOCK_KEY])
      return work(trx, {
        listPublishable: (now) => listPublishable(now, trx),
        lastRotatedAt: async () => {
          const row = await trx('signing_keys').max({ at: 'retired_at' }).first()
          return row?.at == null ? undefined : Number(row.at)
        },
        insert: (row) => insert(row, trx),
        setState: async (kid, patch) => {
          await trx('signing_keys').where({ kid }).update({
            state: patch.state,
            activated_at: patch.activatedAt,
            retired_at: patch.retiredAt,
            expires_at: patch.expiresAt,
          })
        },
      })
    })
  }
}

export interface TrxStore {
  listPublishable(now: number): Promise<SigningKeyRow[]>
  /** When the last rotation retired a key (undefined: never rotated since the keys were first made). */
  lastRotatedAt(): Promise<number | undefined>
  insert(row: SigningKeyRow): Promise<void>
  setState(kid: string, patch: { state: KeyState; activatedAt?: number | null; retiredAt?: number | null; expiresAt?: number | null }): Promise<void>
}

function toRow(row: Record<string, unknown>): SigningKeyRow {
  return {
    kid: row.kid as string,
    alg: row.alg as string,
    state: row.state as KeyState,
    publicJwk: JSON.parse(row.public_jwk as string),
    privateJwkSealed: row.private_jwk_sealed as string,
    createdAt: Number(row.created_at),
    activatedAt: row.activated_at === null ? null : Number(row.activated_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  }
}
