/* Enterprises, mandates and acting grants. Persons are looked up here only by blind index (no clear ID number arrives). */
import type { Db } from './db.js'
import { insertedUnlessDuplicate } from './errors.js'
import { createFastSql, statement } from './fast-sql.js'
import { readAlong, type ReadWith } from './read-along.js'

/** On every token issuance and refresh (is this grant acting for an enterprise?): a prepared statement. */
export const ACTING_GRANT_COLUMNS = 'person_id, client_id, enterprise_id'
const ACTING_GRANT = statement('acting_grant_by_grant', `select ${ACTING_GRANT_COLUMNS} from acting_grants where grant_id = ? limit 1`)

export interface EnterpriseRow {
  id: string
  uscc: string
  name: string
  kind: string
  legalRepresentativeId: string
  createdAt: number
  updatedAt: number
}

export interface MandateRow {
  id: string
  enterpriseId: string
  agentId: string
  /** null = all matters (every service system). */
  clientIds: string[] | null
  validUntil: number | null
  grantedBy: string
  createdAt: number
  revokedAt: number | null
  revokedBy: string | null
}

export type EnterpriseStore = ReturnType<typeof createEnterpriseStore>

export function createEnterpriseStore(db: Db) {
  const sql = createFastSql(db)
  const along = readAlong(db)
  return {
    insertEnterprise,
    findEnterprise,
    findEnterpriseByUscc,
    listEnterprisesRepresentedBy,
    insertMandate,
    findMandate,
    listMandatesOfEnterprise,
    listMandatesOfAgent,
    revokeMandate,
    revokeMandatesOfAgent,
    findPersonIdByIdNumberIndex,
    findPersonName,
    recordActingGrant,
    findActingGrant,
    findActingGrantId,
  }

  /** False when the code is already registered. */
  async function insertEnterprise(row: EnterpriseRow): Promise<boolean> {
    return insertedUnlessDuplicate(
      db('enterprises').insert({ id: row.id, uscc: row.uscc, name: row.name, kind: row.kind, legal_representative_id: row.legalRepresentativeId, created_at: row.createdAt, updated_at: row.updatedAt }),
    )
  }

  async function findEnterprise(id: string): Promise<EnterpriseRow | undefined> {
    return toEnterprise(await db('enterprises').where({ id }).first())
  }

  async function findEnterpriseByUscc(uscc: string): Promise<EnterpriseRow | undefined> {
    return toEnterprise(await db('enterprises').where({ uscc }).first())
  }

  async function listEnterprisesRepresentedBy(personId: string): Promise<EnterpriseRow[]> {
    const rows = await db('enterprises').where({ legal_representative_id: personId }).orderBy('name')
    return rows.map((r) => toEnterprise(r)!)
  }

  async function insertMandate(row: MandateRow): Promise<void> {
    await db('mandates').insert({
      id: row.id,
      enterprise_id: row.enterpriseId,
      agent_id: row.agentId,
      client_ids: row.clientIds === null ? null : JSON.stringify(row.clientIds),
      valid_until: row.validUntil,
      granted_by: row.grantedBy,
      created_at: row.createdAt,
      revoked_at: null,
      revoked_by: null,
    })
  }

  async function findMandate(id: string): Promise<MandateRow | undefined> {
    return toMandate(await db('mandates').where({ id }).first())
  }

  async function listMandatesOfEnterprise(enterpriseId: string): Promise<MandateRow[]> {
    const rows = await db('mandates').where({ enterprise_id: enterpriseId }).orderBy('created_at', 'desc')
    return rows.map((r) => toMandate(r)!)
  }

  async function listMandatesOfAgent(agentId: string): Promise<MandateRow[]> {
    const rows = await db('mandates').where({ agent_id: agentId }).whereNull('revoked_at').orderBy('created_at', 'desc')
    return rows.map((r) => toMandate(r)!)
  }

  /** Revokes an active mandate of that enterprise; false when there is none. */
  async function revokeMandate(id: string, enterpriseId: string, by: string, at: number): Promise<boolean> {
    const n = await db('mandates').where({ id, enterprise_id: enterpriseId }).whereNull('revoked_at').update({ revoked_at: at, revoked_by: by })
    return n === 1
  }

  /** Revokes every active mandate held by an agent (their account closes); returns how many. */
  async function revokeMandatesOfAgent(agentId: string, at: number): Promise<number> {
    return db('mandates').where({ agent_id: agentId }).whereNull('revoked_at').update({ revoked_at: at, revoked_by: agentId })
  }

  async function findPersonIdByIdNumberIndex(index: string): Promise<string | undefined> {
    const row = await db('persons').where({ id_number_index: index }).whereNull('disabled_at').first('id')
    return row?.id
  }

  async function findPersonName(personId: string): Promise<string | undefined> {
    const row = await db('persons').where({ id: personId }).first('name')
    return row?.name
  }

  async function recordActingGrant(row: { grantId: string; personId: string; clientId: string; enterpriseId: string | null; createdAt: number }): Promise<void> {
    await db('acting_grants').insert({ grant_id: row.grantId, person_id: row.personId, client_id: row.clientId, enterprise_id: row.enterpriseId, created_at: row.createdAt })
  }

  /** `readWith`: the token the grant is looked up for, whose statement may have read the row already (read-along.ts). */
  async function findActingGrant(grantId: string, readWith?: ReadWith): Promise<{ personId: string; clientId: string; enterpriseId: string | null } | undefined> {
    const kept = along.take(readWith, 'actingGrant', grantId)
    const row = kept !== undefined ? kept : (await sql.rows(ACTING_GRANT, [grantId]))[0]
    return row ? { personId: String(row.person_id), clientId: String(row.client_id), enterpriseId: row.enterprise_id == null ? null : String(row.enterprise_id) } : undefined
  }

  /** Most recent grants recorded for this person, client and subject (null = self), newest first. */
  async function findActingGrantId(personId: string, clientId: string, enterpriseId: string | null): Promise<string[]> {
    const query = db('acting_grants').where({ person_id: personId, client_id: clientId }).orderBy('created_at', 'desc').limit(5)
    const rows = enterpriseId === null ? await query.whereNull('enterprise_id') : await query.where({ enterprise_id: enterpriseId })
    return rows.map((r) => r.grant_id as string)
  }
}

function toEnterprise(row: Record<string, unknown> | undefined): EnterpriseRow | undefined {
  if (!row) return undefined
  return {
    id: row.id as string,
    uscc: row.uscc as string,
    name: row.name as string,
    kind: row.kind as string,
    legalRepresentativeId: row.legal_representative_id as string,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

function toMandate(row: Record<string, unknown> | undefined): MandateRow | undefined {
  if (!row) return undefined
  return {
    id: row.id as string,
    enterpriseId: row.enterprise_id as string,
    agentId: row.agent_id as string,
    clientIds: row.client_ids == null ? null : (JSON.parse(row.client_ids as string) as string[]),
    validUntil: row.valid_until == null ? null : Number(row.valid_until),
    grantedBy: row.granted_by as string,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at == null ? null : Number(row.revoked_at),
    revokedBy: (row.revoked_by as string | null) ?? null,
  }
}
