import { readFileSync } from 'node:fs'
import type { Knex } from 'knex'

/**
 * Data migration: loads config/reference/heilongjiang-divisions.json (source note inside the
 * file). Read by path, never through src/, so that this migration stays frozen history.
 */
const FILE = new URL('../config/reference/heilongjiang-divisions.json', import.meta.url)

interface Unit { code: string; name: string; en?: string; pinyin?: string; kind?: string }
interface Prefecture extends Unit { counties: Unit[]; statisticalUnits?: Unit[] }
interface DivisionsFile {
  province: Unit
  prefectures: Prefecture[]
  historicalChangesSince2010: { changes: { oldCode: string; oldName: string; year: number; newCodes: string }[] }
}

export async function up(knex: Knex): Promise<void> {
  const data = JSON.parse(readFileSync(FILE, 'utf8')) as DivisionsFile
  const row = (unit: Unit, level: string, parent: string | null, nonStandard = false) => ({
    code: unit.code,
    name: unit.name,
    // Statistical units carry no English form in the source; the pinyin stands in.
    en: unit.en ?? unit.pinyin ?? unit.name,
    level,
    parent_code: parent,
    kind: unit.kind ?? level,
    non_standard: nonStandard,
  })
  await knex('divisions').insert(row(data.province, 'province', null))
  await knex('divisions').insert(data.prefectures.map((p) => row(p, 'prefecture', data.province.code)))
  const counties = data.prefectures.flatMap((p) => [
    ...p.counties.map((c) => row(c, 'county', p.code)),
    ...(p.statisticalUnits ?? []).map((c) => row(c, 'county', p.code, true)),
  ])
  await knex.batchInsert('divisions', counties, 50)
  // newCodes may list several successors ("230717;230718") and carry "[year]" notes.
  const changes = data.historicalChangesSince2010.changes.flatMap((c) =>
    [...new Set(c.newCodes.split(';').map((code) => code.replace(/\[.*?\]/g, '').trim()).filter((code) => /^\d{6}$/.test(code)))].map(
      (newCode) => ({ old_code: c.oldCode, new_code: newCode, old_name: c.oldName, year: c.year }),
    ),
  )
  await knex.batchInsert('division_code_changes', changes, 50)
}

export async function down(knex: Knex): Promise<void> {
  await knex('division_code_changes').delete()
  await knex('divisions').delete()
}
