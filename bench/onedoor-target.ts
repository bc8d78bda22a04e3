/*
 * Preparing OneDoor for a benchmark: production-like environment (secrets from env, https
 * issuer behind a TLS-terminating "proxy", i.e. X-Forwarded-Proto), a fresh database (temporary
 * SQLite file or a fresh PostgreSQL schema, dropped afterwards), and seed data written through
 * OneDoor's own services: persons (argon2id at the configured parameters) and one portal.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createServices } from '../src/app.js'
import { loadConfig } from '../src/config/index.js'
import { registerClient } from '../src/oidc/index.js'
import { createDb } from '../src/store/db.js'

export type DbKind = 'sqlite' | 'pg'

export interface OneDoorTarget {
  kind: DbKind
  env: Record<string, string>
  cleanup(): Promise<void>
}

export const REDIRECT_URI = 'https://portal.bench.example/callback'
export const PASSWORD = 'bench 密码 correct horse'

export function prepareTarget(kind: DbKind, port: number, pgUrl: string): OneDoorTarget {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'onedoor-bench-'))
  const schema = `bench_${randomBytes(5).toString('hex')}`
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    ONEDOOR_HOST: '127.0.0.1',
    ISSUER: `https://127.0.0.1:${port}`,
    ONEDOOR_TRUST_PROXY: 'true',
    ONEDOOR_DATA_DIR: dataDir,
    ONEDOOR_LOG_LEVEL: 'warn',
    ONEDOOR_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ONEDOOR_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    ONEDOOR_PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ONEDOOR_PII_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    ...(kind === 'pg' ? { DATABASE_URL: pgUrl, ONEDOOR_DB_SCHEMA: schema } : { DATABASE_URL: path.join(dataDir, 'onedoor.sqlite') }),
  }
  return {
    kind,
    env,
    async cleanup() {
      if (kind === 'pg') {
        const db = createDb({ client: 'pg', url: pgUrl, poolMax: 1, sqliteSynchronous: 'NORMAL' })
        try {
          await db.raw('drop schema if exists ?? cascade', [schema])
        } finally {
          await db.destroy()
        }
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface Seed {
  clientId: string
  clientSecret: string
  identifiers: string[]
}

/** Run after the server's first start (which migrated and generated the signing keys). */
export async function seed(target: OneDoorTarget, persons: number): Promise<Seed> {
  const config = loadConfig({ env: target.env })
  const db = createDb(config.db)
  try {
    const services = createServices(config, db)
    const identifiers: string[] = []
    for (let i = 0; i < persons; i += 1) {
      const idNumber = idNumberFor(i)
      await services.persons.registerPerson({ name: `测试${i}`, idNumber, phone: `139${String(10_000_000 + i)}`, password: PASSWORD })
      identifiers.push(idNumber)
    }
    const client = await registerClient({ config, clients: services.clients, loadJwks: services.keySet.loadSigningJwks }, { name: 'Bench portal', redirectUris: [REDIRECT_URI] })
    return { clientId: client.clientId, clientSecret: client.clientSecret!, identifiers }
  } finally {
    await db.destroy()
  }
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** A valid GB 11643 resident ID number, distinct for each i (Harbin Daoli, born 1980). */
function idNumberFor(i: number): string {
  const first17 = `23010219800101${String(i).padStart(3, '0')}`
  const sum = [...first17].reduce((acc, ch, k) => acc + Number(ch) * WEIGHTS[k], 0)
  return first17 + '10X98765432'[sum % 11]
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}
