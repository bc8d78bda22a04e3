/*
 * Federation rows outside the clients table: provenance of imported accounts (person_imports)
 * and the batched person inserts of an import. Batches run in one transaction each, so an
 * interrupted import leaves whole batches only, and a re-run skips what is already linked.
 */
import type { AccountImportStore, ImportExistingPerson, ImportLink, ImportNewPerson } from '../federation/index.js'
import type { Db } from './db.js'

// Rows per INSERT statement: 11 columns × 100 stays far below SQLite's bound-variable limit.
const INSERT_CHUNK = 100

export function createAccountImportStore(db: Db): AccountImportStore {
  return { findImported, findPersonsByIndex, findPhoneOwners, writeBatch }

  async function findImported(sourceClientId: string, legacyUserIds: string[]): Promise<Set<string>> {
    if (legacyUserIds.length === 0) return new Set()
    const rows = await db('person_imports').where({ source_client_id: sourceClientId }).whereIn('legacy_user_id', legacyUserIds).select('legacy_user_id')
    return new Set(rows.map((r) => r.legacy_user_id as string))
  }

  async function findPersonsByIndex(indexes: string[]): Promise<ImportExistingPerson[]> {
    if (indexes.length === 0) return []
    const rows = await db('persons').whereIn('id_number_index', indexes).select('id', 'name', 'phone', 'id_number_index')
    return rows.map((r) => ({ id: r.id, name: r.name, phone: r.phone, idNumberIndex: r.id_number_index }))
  }

  async function findPhoneOwners(phones: string[]): Promise<Map<string, string>> {
    if (phones.length === 0) return new Map()
    const rows = await db('persons').whereIn('phone', phones).select('id', 'phone')
    return new Map(rows.map((r) => [r.phone as string, r.id as string]))
  }

  async function writeBatch(persons: ImportNewPerson[], links: ImportLink[]): Promise<void> {
    await db.transaction(async (trx) => {
      for (let i = 0; i < persons.length; i += INSERT_CHUNK) {
        await trx('persons').insert(
          persons.slice(i, i + INSERT_CHUNK).map((p) => ({
            id: p.id,
            name: p.name,
            id_number_sealed: p.idNumberSealed,
            id_number_index: p.idNumberIndex,
            id_number_masked: p.idNumberMasked,
            phone: p.phone,
            password_hash: p.passwordHash,
            assurance_level: 1,
            created_at: p.createdAt,
            updated_at: p.createdAt,
            disabled_at: null,
          })),
        )
      }
      for (let i = 0; i < links.length; i += INSERT_CHUNK) {
        await trx('person_imports').insert(
          links.slice(i, i + INSERT_CHUNK).map((l) => ({
            source_client_id: l.sourceClientId,
            legacy_user_id: l.legacyUserId,
            person_id: l.personId,
            hash_format: l.hashFormat,
            imported_at: l.importedAt,
          })),
        )
      }
    })
  }
}
