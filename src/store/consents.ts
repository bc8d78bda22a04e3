/*
 * Remembered consent (table consents): the scopes and claims a person allowed a portal, kept
 * across sessions. Read once per session and portal, at the first authorization after sign-in
 * (src/oidc/existing-grant.ts), so the read is a prepared statement, as is the consent page's
 * write; the account centre's reads and deletes go through knex.
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
const UPSERT_CONSENT = statement(
  'consent_upsert',
  'insert into consents (person_id, client_id, scope, claims, granted_at, updated_at) values (?, ?, ?, ?, ?, ?) ' +
    'on conflict (person_id, client_id) do update set scope = excluded.scope, claims = excluded.claims, updated_at = excluded.updated_at',
)

/**
 * PostgreSQL: the same union in one statement. The conflicting row is locked while its SET is
 * computed from it, so two consents given at once both end up in the row; the read-then-write
 * transaction this replaces could lose one of them under READ COMMITTED, and cost five round
 * trips through knex. The union keeps the earlier words first, as `union` below does.
 */
const UPSERT_CONSENT_UNION_PG = statement(
  'consent_upsert_union',
  'insert into consents (person_id, client_id, scope, claims, granted_at, updated_at) values (?, ?, ?, ?, ?, ?) ' +
    'on conflict (person_id, client_id) do update set ' +
    "scope = (select coalesce(string_agg(word, ' ' order by first), '') from (" +
    "select word, min(position) as first from unnest(string_to_array(consents.scope || ' ' || excluded.scope, ' ')) with ordinality as words(word, position) " +
    "where word <> '' group by word) as merged), " +
    "claims = (select coalesce(jsonb_agg(claim order by first), '[]'::jsonb)::text from (" +
    'select claim, min(position) as first from jsonb_array_elements_text(consents.claims::jsonb || excluded.claims::jsonb) with ordinality as claims(claim, position) ' +
    'group by claim) as merged), ' +
    'updated_at = excluded.updated_at',
)

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
    // SQLite: the read and the upsert run as one step of the group commit, atomic under the single
    // writer, instead of a knex transaction that held the only connection for four statements while
    // the sign-in's other queries waited for it (A/B: 16.5 → 15.4 ms of main thread per first sign-in).
    if (!sql.isPg) {
      return sql.sqliteTransaction((session) => {
        const [existing] = session.rows(CONSENT_OF, [personId, clientId])
        session.run(UPSERT_CONSENT, upsertValues(personId, clientId, existing, allowed, now()))
      })
    }
    await sql.run(UPSERT_CONSENT_UNION_PG, upsertValues(personId, clientId, undefined, allowed, now()))
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

/** The row `remember` writes: what was allowed before (if anything) joined with `allowed`. */
function upsertValues(personId: string, clientId: string, existing: Record<string, unknown> | undefined, allowed: { scopes: string[]; claims: string[] }, at: number): [string, string, string, string, number, number] {
  const scopes = union(existing ? words(existing.scope) : [], allowed.scopes)
  const claims = union(existing ? parseClaims(existing.claims) : [], allowed.claims)
  return [personId, clientId, scopes.join(' '), JSON.stringify(claims), at, at]
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
