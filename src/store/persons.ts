/* Natural-person rows. The domain passes sealed and indexed ID numbers; no clear ID number arrives here. */
import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { Transaction } from '../shared/transaction.js'
import type { Db } from './db.js'
import { insertedUnlessDuplicate } from './errors.js'
import { createFastSql, statement } from './fast-sql.js'
import { readAlong, type ReadWith } from './read-along.js'

/**
 * The columns fromDb reads, named rather than `select *` so that on PostgreSQL these statements
 * are prepared once per connection (fast-sql.ts never prepares a `select *`, whose result shape
 * a newer node's migration could change).
 */
export const PERSON_COLUMNS = 'id, name, id_number_sealed, id_number_index, id_number_masked, phone, password_hash, assurance_level, created_at, updated_at, disabled_at, document_type, phone_verified_at, closed_at, password_changed_at, password_policy, sessions_not_before'
/** On every token issuance, refresh and userinfo (claims): a prepared statement (fast-sql.ts). */
const PERSON_BY_ID = statement('person_by_id', `select ${PERSON_COLUMNS} from persons where id = ? limit 1`)
/** On every password sign-in (the identifier's lookup), prepared like PERSON_BY_ID. */
const PERSON_BY_ID_NUMBER_INDEX = statement('person_by_id_number_index', `select ${PERSON_COLUMNS} from persons where id_number_index = ? limit 1`)
const PERSON_BY_PHONE = statement('person_by_phone', `select ${PERSON_COLUMNS} from persons where phone = ? limit 1`)

export interface PersonRow {
  id: string
  name: string
  idNumberSealed: string
  idNumberIndex: string
  idNumberMasked: string
  phone: string
  passwordHash: string
  assuranceLevel: number
  createdAt: number
  updatedAt: number
  disabledAt: number | null
  /** Which kind of document id_number_* hold (resident_id unless stated). */
  documentType: string
  phoneVerifiedAt: number | null
  closedAt: number | null
  /** When the password was last set (null: unknown, e.g. an imported account), and the strictest policy it met. */
  passwordChangedAt?: number | null
  passwordPolicy?: string
  /** Sessions and tokens authenticated at or before this time (epoch ms) are refused (sign out everywhere). */
  sessionsNotBefore?: number | null
}

/** The audit record kept when a person closes their account. */
export interface PersonClosureRow {
  id: string
  personId: string
  documentMasked: string
  grantsRevoked: number
  sessionsEnded: number
  ip: string | null
  closedAt: number
}

export type PersonStore = ReturnType<typeof createPersonStore>

export function createPersonStore(db: Db) {
  const sql = createFastSql(db)
  const along = readAlong(db)
  return { insert, findById, findByIdReadWith, findByIdNumberIndex, findByPhone, updatePasswordHash, markPhoneVerified, close, findClosure }

  /** Returns false when the ID number or phone is taken (unique constraint). */
  async function insert(row: PersonRow): Promise<boolean> {
    return insertedUnlessDuplicate(db('persons').insert(toDb(row)))
  }

  /** findById for a step holding a token, whose statement may have read the row already (read-along.ts). */
  async function findByIdReadWith(id: string, readWith: ReadWith | undefined): Promise<PersonRow | undefined> {
    const kept = along.take(readWith, 'person', id)
    return kept !== undefined ? fromDb(kept ?? undefined) : findById(id)
  }

  async function findById(id: string, tx?: Transaction): Promise<PersonRow | undefined> {
    if (tx) return fromDb(await (tx as Knex)('persons').where({ id }).first())
    return fromDb((await sql.rows(PERSON_BY_ID, [id]))[0])
  }

  async function findByIdNumberIndex(index: string): Promise<PersonRow | undefined> {
    return fromDb((await sql.rows(PERSON_BY_ID_NUMBER_INDEX, [index]))[0])
  }

  async function findByPhone(phone: string): Promise<PersonRow | undefined> {
    return fromDb((await sql.rows(PERSON_BY_PHONE, [phone]))[0])
  }

  /**
   * A new hash. With `change` the password itself changed (its time and policy are recorded);
   * without, the same password was only rehashed at new parameters.
   */
  async function updatePasswordHash(id: string, passwordHash: string, change?: { at: number; policy: string }, tx?: Transaction): Promise<void> {
    const conn = (tx as Knex | undefined) ?? db
    await conn('persons').where({ id }).update({ password_hash: passwordHash, updated_at: change?.at ?? Date.now(), ...(change ? { password_changed_at: change.at, password_policy: change.policy } : {}) })
  }

  async function markPhoneVerified(id: string, at: number): Promise<void> {
    await db('persons').where({ id }).whereNull('phone_verified_at').update({ phone_verified_at: at, updated_at: at })
  }

  /**
   * Closes an account in one transaction: the personal data in the row is overwritten (the row
   * and its id stay, so audit records keep pointing somewhere) and the closure record is written.
   * Returns false when the account was already closed.
   */
  async function close(closure: PersonClosureRow): Promise<boolean> {
    return db.transaction(async (trx) => {
      const updated = await trx('persons')
        .where({ id: closure.personId })
        .whereNull('closed_at')
        .update({
          name: '',
          id_number_sealed: '',
          id_number_index: `closed:${closure.personId}`,
          id_number_masked: '',
          // The phone column is unique and 20 characters wide: a tombstone derived from the id.
          phone: `#${createHash('sha256').update(closure.personId).digest('base64url').slice(0, 19)}`,
          password_hash: '',
          disabled_at: closure.closedAt,
          closed_at: closure.closedAt,
          updated_at: closure.closedAt,
        })
      if (updated !== 1) return false
      await trx('person_closures').insert({
        id: closure.id,
        person_id: closure.personId,
        document_masked: closure.documentMasked,
        grants_revoked: closure.grantsRevoked,
        sessions_ended: closure.sessionsEnded,
        ip: closure.ip,
        closed_at: closure.closedAt,
      })
      return true
    })
  }

  async function findClosure(personId: string): Promise<PersonClosureRow | undefined> {
    const row = await db('person_closures').where({ person_id: personId }).first()
    if (!row) return undefined
    return {
      id: row.id,
      personId: row.person_id,
      documentMasked: row.document_masked,
      grantsRevoked: Number(row.grants_revoked),
      sessionsEnded: Number(row.sessions_ended),
      ip: row.ip ?? null,
      closedAt: Number(row.closed_at),
    }
  }
}

function toDb(row: PersonRow) {
  return {
    id: row.id,
    name: row.name,
    id_number_sealed: row.idNumberSealed,
    id_number_index: row.idNumberIndex,
    id_number_masked: row.idNumberMasked,
    phone: row.phone,
    password_hash: row.passwordHash,
    assurance_level: row.assuranceLevel,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    disabled_at: row.disabledAt,
    document_type: row.documentType,
    phone_verified_at: row.phoneVerifiedAt,
    closed_at: row.closedAt,
    password_changed_at: row.passwordChangedAt ?? (row.passwordHash ? row.createdAt : null),
    password_policy: row.passwordPolicy ?? 'person',
  }
}

/** persons.sessions_not_before = at unless already later: see shared/sessions-cutoff.ts. */
export async function cutSessionsOf(conn: Knex, personId: string, at: number): Promise<void> {
  await conn('persons')
    .where({ id: personId })
    .where((w) => w.whereNull('sessions_not_before').orWhere('sessions_not_before', '<', at))
    .update({ sessions_not_before: at })
}

function fromDb(row: Record<string, unknown> | undefined): PersonRow | undefined {
  if (!row) return undefined
  return {
    id: row.id as string,
    name: row.name as string,
    idNumberSealed: row.id_number_sealed as string,
    idNumberIndex: row.id_number_index as string,
    idNumberMasked: row.id_number_masked as string,
    phone: row.phone as string,
    passwordHash: row.password_hash as string,
    assuranceLevel: Number(row.assurance_level),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
    documentType: (row.document_type as string | undefined) ?? 'resident_id',
    phoneVerifiedAt: row.phone_verified_at == null ? null : Number(row.phone_verified_at),
    closedAt: row.closed_at == null ? null : Number(row.closed_at),
    passwordChangedAt: row.password_changed_at == null ? null : Number(row.password_changed_at),
    passwordPolicy: (row.password_policy as string | undefined) ?? 'person',
    sessionsNotBefore: row.sessions_not_before == null ? null : Number(row.sessions_not_before),
  }
}
