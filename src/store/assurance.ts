/* Assurance evidence rows, and the person's current level (persons.assurance_level) updated with them in one transaction. */
import type { Db } from './db.js'
import { createFastSql, statement } from './fast-sql.js'

/**
 * On every token issuance and refresh (acr, claims): a prepared statement (fast-sql.ts), naming
 * its columns so that PostgreSQL plans it once per connection (fast-sql never prepares `select *`).
 */
const ACTIVE_PERSON = statement('assurance_active_person', 'select id, name, assurance_level, phone_verified_at from persons where id = ? and disabled_at is null limit 1')

export interface EvidenceRow {
  id: string
  personId: string
  level: number
  method: string
  verifiedBy: string
  reference: string | null
  verifiedAt: number
}

export interface AssuranceSubject {
  id: string
  name: string
  assuranceLevel: number
  phoneVerifiedAt: number | null
}

export type AssuranceStore = ReturnType<typeof createAssuranceStore>

export function createAssuranceStore(db: Db) {
  const sql = createFastSql(db)
  return { findSubject, recordEvidence, listEvidence }

  async function findSubject(personId: string): Promise<AssuranceSubject | undefined> {
    const [row] = await sql.rows(ACTIVE_PERSON, [personId])
    if (!row) return undefined
    return { id: String(row.id), name: String(row.name), assuranceLevel: Number(row.assurance_level), phoneVerifiedAt: row.phone_verified_at == null ? null : Number(row.phone_verified_at) }
  }

  /** Writes the evidence and raises (never lowers) the person's level, atomically. */
  async function recordEvidence(row: EvidenceRow): Promise<void> {
    await db.transaction(async (trx) => {
      await trx('assurance_evidence').insert({
        id: row.id,
        person_id: row.personId,
        level: row.level,
        method: row.method,
        verified_by: row.verifiedBy,
        reference: row.reference,
        verified_at: row.verifiedAt,
      })
      await trx('persons').where({ id: row.personId }).andWhere('assurance_level', '<', row.level).update({ assurance_level: row.level, updated_at: row.verifiedAt })
    })
  }

  async function listEvidence(personId: string): Promise<EvidenceRow[]> {
    const rows = await db('assurance_evidence').where({ person_id: personId }).orderBy('verified_at', 'asc')
    return rows.map((r) => ({ id: r.id, personId: r.person_id, level: Number(r.level), method: r.method, verifiedBy: r.verified_by, reference: r.reference, verifiedAt: Number(r.verified_at) }))
  }
}
