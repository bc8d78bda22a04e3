/* Natural-person rows. The domain passes sealed and indexed ID numbers; no clear ID number arrives here. */
import type { Db } from './db.js'
import { isUniqueViolation } from './errors.js'

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
}

export type PersonStore = ReturnType<typeof createPersonStore>

export function createPersonStore(db: Db) {
  return { insert, findById, findByIdNumberIndex, findByPhone, updatePasswordHash }

  /** Returns false when the ID number or phone is taken (unique constraint). */
  async function insert(row: PersonRow): Promise<boolean> {
    try {
      await db('persons').insert(toDb(row))
      return true
    } catch (err) {
      if (isUniqueViolation(err)) return false
      throw err
    }
  }

  async function findById(id: string): Promise<PersonRow | undefined> {
    return fromDb(await db('persons').where({ id }).first())
  }

  async function findByIdNumberIndex(index: string): Promise<PersonRow | undefined> {
    return fromDb(await db('persons').where({ id_number_index: index }).first())
  }

  async function findByPhone(phone: string): Promise<PersonRow | undefined> {
    return fromDb(await db('persons').where({ phone }).first())
  }

  async function updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await db('persons').where({ id }).update({ password_hash: passwordHash, updated_at: Date.now() })
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
  }
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
  }
}
