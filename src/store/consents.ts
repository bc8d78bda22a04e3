/*
 * Remembered consent (table consents): the scopes and claims a person allowed a portal, kept
 * across sessions. Read once per session and portal, at the first authorization after sign-in
 * (src/oidc/existing-grant.ts), so the read is a prepared statement; the rest is the account
 * centre's and the consent page's, and goes through knex.
 */
import type { Knex } from 'knex'
import type { Db } from './db.js'
import { createFastSql, statement } from './fast-sql.js'

export interface ConsentRecord {
  personId: string
  clientId: string
  scopes: string[]
  claims: string[]
  grantedAt: number
  updatedAt: number
}

const CONSENT_OF = statement('consent_of', 'select scope, claims from consents where person_id = ? and client_id = ? limit 1')

export type ConsentStore = ReturnType<typeof createConsentStore>

export function createConsentStore(db: Db, now: () => number = Date.now) {
  const sql = createFastSql(db)
  return { find, remember, forget, forgetAll, list }

  async function find(personId: string, clientId: string): Promise<Pick<ConsentRecord, 'scopes' | 'claims'> | undefined> {
    const [row] = await sql.rows(CONSENT_OF, [personId, clientId])
    return row ? { scopes: words(row.scope), claims: parseClaims(row.claims) } : undefined
  }

  /** Adds `scopes` and `claims` to what the person allowed the portal (never removes any). */
  async function remember(personId: string, clientId: string, allowed: { scopes: string[]; claims: string[] }): Promise<void> {
    await db.transaction(async (trx) => {
      const existing = await trx('consents').where({ person_id: personId, client_id: clientId }).first()
      const scopes = union(existing ? words(existing.scope) : [], allowed.scopes)
      const claims = union(existing ? parseClaims(existing.claims) : [], allowed.claims)
      const at = now()
      await trx('consents')
        .insert({ person_id: personId, client_id: clientId, scope: scopes.join(' '), claims: JSON.stringify(claims), granted_at: at, updated_at: at })
        .onConflict(['person_id', 'client_id'])
        .merge(['scope', 'claims', 'updated_at'])
    })
  }

  /** Forgets what the person allowed the portal; returns whether there was anything. */
  async function forget(personId: string, clientId: string, tx?: Knex): Promise<boolean> {
    return (await (tx ?? db)('consents').where({ person_id: personId, client_id: clientId }).delete()) > 0
  }

  async function forgetAll(personId: string, tx?: Knex): Promise<number> {
    return (tx ?? db)('consents').where({ person_id: personId }).delete()
  }

  async function list(personId: string): Promise<ConsentRecord[]> {
    const rows = await db('consents').where({ person_id: personId }).orderBy('granted_at', 'asc')
    return rows.map((row: Record<string, unknown>) => ({
      personId: String(row.person_id),
      clientId: String(row.client_id),
      scopes: words(row.scope),
      claims: parseClaims(row.claims),
      grantedAt: Number(row.granted_at),
      updatedAt: Number(row.updated_at),
    }))
  }
}

function words(value: unknown): string[] {
  return String(value ?? '').split(' ').filter(Boolean)
}

function parseClaims(value: unknown): string[] {
  const parsed: unknown = JSON.parse(String(value ?? '[]'))
  return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : []
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])]
}
