/* Division reference rows (loaded by a data migration; read-only at run time). */
import type { Division, DivisionCodeChange, DivisionStore } from '../federation/index.js'
import type { Db } from './db.js'

export function createDivisionStore(db: Db): DivisionStore {
  return { listDivisions, listCodeChanges }

  async function listDivisions(): Promise<Division[]> {
    const rows = await db('divisions').orderBy('code', 'asc')
    return rows.map((row) => ({
      code: row.code,
      name: row.name,
      en: row.en,
      level: row.level,
      parentCode: row.parent_code ?? null,
      kind: row.kind,
      nonStandard: Boolean(row.non_standard),
    }))
  }

  async function listCodeChanges(): Promise<DivisionCodeChange[]> {
    const rows = await db('division_code_changes').orderBy(['old_code', 'new_code'])
    return rows.map((row) => ({ oldCode: row.old_code, newCode: row.new_code, oldName: row.old_name, year: Number(row.year) }))
  }
}
