/*
 * Signing-key lifecycle. Each algorithm has one active key (signs), one next key (published
 * in the JWKS but not yet signing, so relying parties have it cached before it is used) and
 * retired keys (published until every token they signed has expired).
 *
 *   rotate:  next -> active,  active -> retired (expires after the longest token lifetime),
 *            a fresh key becomes next.
 */
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import { open, seal } from '../shared/crypto.js'
import { AppError } from '../shared/errors.js'
import type { SigningKeyRow, SigningKeyStore, TrxStore } from '../store/signing-keys.js'

export type Jwk = Record<string, unknown> & { kid: string; alg: string }

export interface KeySetDeps {
  store: SigningKeyStore
  keyEncryptionKey: Buffer
  algorithms: readonly string[]
  /** How long a retired key stays published: the longest lifetime of anything signed. */
  retiredKeyLifetimeMs: number
  /**
   * Rotations closer together than this are refused unless forced: the key a rotation activates
   * was published by the previous one, and relying parties must have fetched it by then (0: no limit).
   */
  minRotationIntervalMs?: number
  now?: () => number
}

export function createKeySet(deps: KeySetDeps) {
  const now = deps.now ?? Date.now
  return { ensureKeys, rotateKeys, loadSigningJwks, version: () => deps.store.version(now()) }

  /** First start: an active and a next key for each configured algorithm. Idempotent. */
  async function ensureKeys(): Promise<number> {
    return deps.store.transaction(async (_trx, store) => {
      const rows = await store.listPublishable(now())
      let created = 0
      for (const alg of deps.algorithms) {
        for (const state of ['active', 'next'] as const) {
          if (!rows.some((r) => r.alg === alg && r.state === state)) {
            await store.insert(await newKeyRow(alg, state))
            created += 1
          }
        }
      }
      return created
    })
  }

  /**
   * Rotates every algorithm's keys. Refused (KEYS_ROTATION_TOO_SOON) when the previous rotation
   * was less than minRotationIntervalMs ago, unless `force` (a compromised key); the check runs
   * under the key-set lock, so of two rotations started together the second is refused.
   */
  async function rotateKeys(options: { force?: boolean } = {}): Promise<RotationResult> {
    await ensureKeys()
    return deps.store.transaction(async (_trx, store) => {
      const at = now()
      const lastRotatedAt = await store.lastRotatedAt()
      const sinceLastMs = lastRotatedAt === undefined ? undefined : at - lastRotatedAt
      const tooSoon = sinceLastMs !== undefined && sinceLastMs < (deps.minRotationIntervalMs ?? 0)
      if (tooSoon && !options.force) throw rotationTooSoon(sinceLastMs, deps.minRotationIntervalMs!)
      const rows = await store.listPublishable(at)
      const result: RotationResult = { activated: [], retired: [], published: [], ...(tooSoon ? { forcedAfterSeconds: Math.floor(sinceLastMs / 1000) } : {}) }
      for (const alg of deps.algorithms) {
        await rotateAlgorithm(store, rows.filter((r) => r.alg === alg), alg, at, result)
      }
      return result
    })
  }

  async function rotateAlgorithm(store: TrxStore, rows: SigningKeyRow[], alg: string, at: number, result: RotationResult) {
    const active = rows.find((r) => r.state === 'active')
    const next = rows.find((r) => r.state === 'next')
    if (active) {
      await store.setState(active.kid, { state: 'retired', activatedAt: active.activatedAt, retiredAt: at, expiresAt: at + deps.retiredKeyLifetimeMs })
      result.retired.push(active.kid)
    }
    if (next) {
      await store.setState(next.kid, { state: 'active', activatedAt: at, retiredAt: null, expiresAt: null })
      result.activated.push(next.kid)
    }
    const fresh = await newKeyRow(alg, 'next')
    await store.insert(fresh)
    result.published.push(fresh.kid)
  }

  /**
   * Private JWKs for oidc-provider, active keys first: the provider signs with the first key
   * that fits an algorithm and publishes the public part of all of them.
   */
  async function loadSigningJwks(): Promise<Jwk[]> {
    const rows = await deps.store.listPublishable(now())
    const rank = { active: 0, next: 1, retired: 2 } as const
    return rows
      .sort((a, b) => rank[a.state] - rank[b.state] || b.createdAt - a.createdAt)
      .map((row) => JSON.parse(open(deps.keyEncryptionKey, row.privateJwkSealed, aad(row.kid))) as Jwk)
  }

  async function newKeyRow(alg: string, state: 'active' | 'next'): Promise<SigningKeyRow> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) })
    const kid = randomUUID()
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' }
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
    const at = now()
    return {
      kid,
      alg,
      state,
      publicJwk,
      privateJwkSealed: seal(deps.keyEncryptionKey, JSON.stringify(privateJwk), aad(kid)),
      createdAt: at,
      activatedAt: state === 'active' ? at : null,
      retiredAt: null,
      expiresAt: null,
    }
  }
}

export interface RotationResult {
  activated: string[]
  retired: string[]
  published: string[]
  /** Set when a forced rotation came sooner than the minimum interval: seconds since the previous one. */
  forcedAfterSeconds?: number
}

function rotationTooSoon(sinceLastMs: number, minIntervalMs: number): AppError {
  const since = Math.floor(sinceLastMs / 1000)
  const wait = Math.ceil((minIntervalMs - sinceLastMs) / 1000)
  return new AppError(
    'KEYS_ROTATION_TOO_SOON',
    `refused: the last rotation was ${since} s ago and keys.minRotationIntervalSeconds is ${minIntervalMs / 1000}; ` +
      `relying parties may not have fetched the key this one would activate yet. Try again in ${wait} s, or use --force if a key is compromised`,
    { status: 409, details: { sinceLastSeconds: since, retryAfterSeconds: wait } },
  )
}

function aad(kid: string): string {
  return `signing-key:${kid}`
}

export type KeySet = ReturnType<typeof createKeySet>
