/*
 * Bulk writes of `onedoor seed`. One batch is one transaction: its persons, their enterprises and
 * the run's progress counters commit together or not at all. PostgreSQL receives each table's
 * rows as one INSERT … SELECT FROM unnest(arrays) (one statement, one round trip per batch);
 * SQLite gets multi-row INSERTs within its limit on bound variables. A row whose ID number, phone
 * or credit code an existing account already holds is skipped (ON CONFLICT DO NOTHING), never
 * overwritten, and counted.
 */
import type { Knex } from 'knex'
import type { Db } from './db.js'
import type { EnterpriseRow } from './enterprises.js'
import type { PersonRow } from './persons.js'
import { isUniqueViolation } from './errors.js'

/** What a seeded person's row holds beyond the run's shared values (password hash, times). */
export type SeedPersonRow = Pick<PersonRow, 'id' | 'name' | 'idNumberSealed' | 'idNumberIndex' | 'idNumberMasked' | 'phone'>

export type SeedEnterpriseRow = Omit<EnterpriseRow, 'createdAt' | 'updatedAt'>

export interface SeedRunRow {
  id: string
  seed: number
  firstPerson: number
  persons: number
  firstEnterprise: number
  enterprises: number
  personsWritten: number
  enterprisesWritten: number
  skipped: number
  startedAt: number
  finishedAt: number | null
}

export interface SeedBatch {
  runId: string
  persons: SeedPersonRow[]
  /** Builds the batch's enterprises once it is known which persons went in (their representatives). */
  enterprisesFor(insertedPersonIds: string[]): SeedEnterpriseRow[]
  /** The one argon2id hash every account of the run shares. */
  passwordHash: string
  /** 'admin' when the seed password meets the administrators' policy (persons.password_policy). */
  passwordPolicy: string
  at: number
}

export interface SeedBatchResult {
  persons: number
  enterprises: number
  skipped: number
}

export type SeedStore = ReturnType<typeof createSeedStore>

// SQLite allows 32766 bound variables per statement; 11 columns × 500 rows stays well inside.
const SQLITE_ROWS_PER_INSERT = 500

export function createSeedStore(db: Db) {
  const isPg = db.client.config.client === 'pg'
  let hasPasswordColumns: Promise<boolean> | undefined
  return { nextNumbers, reserveRun, writeBatch, finishRun, listRuns }

  /** The first person and enterprise numbers no seed run has reserved yet. */
  async function nextNumbers(trx: Knex = db): Promise<{ person: number; enterprise: number }> {
    const row = await trx('seed_runs').first(trx.raw('coalesce(max(first_person + persons), 0) as person'), trx.raw('coalesce(max(first_enterprise + enterprises), 0) as enterprise'))
    return { person: Number(row?.person ?? 0), enterprise: Number(row?.enterprise ?? 0) }
  }

  /**
   * Reserves the next ranges for a run. Two runs starting at once read the same maximum; the
   * unique first_person makes the second insert fail, and it reads again.
   */
  async function reserveRun(run: { id: string; seed: number; persons: number; enterprises: number; startedAt: number }): Promise<SeedRunRow> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await db.transaction(async (trx) => {
          const next = await nextNumbers(trx)
          const row: SeedRunRow = { ...run, firstPerson: next.person, firstEnterprise: next.enterprise, personsWritten: 0, enterprisesWritten: 0, skipped: 0, finishedAt: null }
          await trx('seed_runs').insert(toDb(row))
          return row
        })
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 5) throw err
      }
    }
  }

  async function writeBatch(batch: SeedBatch): Promise<SeedBatchResult> {
    const withPasswordColumns = await passwordColumns()
    return db.transaction(async (trx) => {
      const personIds = isPg ? await insertPersonsPg(trx, batch, withPasswordColumns) : await insertPersonsSqlite(trx, batch, withPasswordColumns)
      const enterprises = batch.enterprisesFor(personIds)
      const enterpriseIds = isPg ? await insertEnterprisesPg(trx, enterprises, batch.at) : await insertEnterprisesSqlite(trx, enterprises, batch.at)
      const result = { persons: personIds.length, enterprises: enterpriseIds, skipped: batch.persons.length - personIds.length + enterprises.length - enterpriseIds }
      await trx('seed_runs').where({ id: batch.runId }).increment({ persons_written: result.persons, enterprises_written: result.enterprises, skipped: result.skipped })
      return result
    }).catch((err: unknown) => {
      throw new Error(driverMessage(err), { cause: err })
    })
  }

  async function finishRun(id: string, at: number): Promise<void> {
    await db('seed_runs').where({ id }).update({ finished_at: at })
  }

  async function listRuns(): Promise<SeedRunRow[]> {
    return (await db('seed_runs').orderBy('first_person', 'asc')).map(fromDb)
  }

  /** password_changed_at / password_policy arrived with a later migration of another feature; written when present. */
  function passwordColumns(): Promise<boolean> {
    hasPasswordColumns ??= db.schema.hasColumn('persons', 'password_policy')
    return hasPasswordColumns
  }

  async function insertPersonsPg(trx: Knex, batch: SeedBatch, withPasswordColumns: boolean): Promise<string[]> {
    const p = batch.persons
    const extraColumns = withPasswordColumns ? ', password_changed_at, password_policy' : ''
    const extraValues = withPasswordColumns ? ', ?::bigint, ?' : ''
    const { rows } = await trx.raw(
      `insert into persons (id, name, id_number_sealed, id_number_index, id_number_masked, phone, password_hash, assurance_level, created_at, updated_at, document_type${extraColumns})
       select t.id, t.name, t.sealed, t.idx, t.masked, t.phone, ?, 1, ?::bigint, ?::bigint, 'resident_id'${extraValues}
       from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) as t(id, name, sealed, idx, masked, phone)
       on conflict do nothing returning id`,
      [
        batch.passwordHash,
        batch.at,
        batch.at,
        ...(withPasswordColumns ? [batch.at, batch.passwordPolicy] : []),
        p.map((r) => r.id),
        p.map((r) => r.name),
        p.map((r) => r.idNumberSealed),
        p.map((r) => r.idNumberIndex),
        p.map((r) => r.idNumberMasked),
        p.map((r) => r.phone),
      ],
    )
    return (rows as { id: string }[]).map((r) => r.id)
  }

  async function insertEnterprisesPg(trx: Knex, rows: SeedEnterpriseRow[], at: number): Promise<number> {
    if (rows.length === 0) return 0
    const result = await trx.raw(
      `insert into enterprises (id, uscc, name, kind, legal_representative_id, created_at, updated_at)
       select t.id, t.uscc, t.name, t.kind, t.rep, ?::bigint, ?::bigint
       from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) as t(id, uscc, name, kind, rep)
       on conflict do nothing`,
      [at, at, rows.map((r) => r.id), rows.map((r) => r.uscc), rows.map((r) => r.name), rows.map((r) => r.kind), rows.map((r) => r.legalRepresentativeId)],
    )
    return Number(result.rowCount)
  }

  async function insertPersonsSqlite(trx: Knex, batch: SeedBatch, withPasswordColumns: boolean): Promise<string[]> {
    const inserted: string[] = []
    for (let i = 0; i < batch.persons.length; i += SQLITE_ROWS_PER_INSERT) {
      const chunk = batch.persons.slice(i, i + SQLITE_ROWS_PER_INSERT)
      await trx('persons')
        .insert(
          chunk.map((r) => ({
            id: r.id,
            name: r.name,
            id_number_sealed: r.idNumberSealed,
            id_number_index: r.idNumberIndex,
            id_number_masked: r.idNumberMasked,
            phone: r.phone,
            password_hash: batch.passwordHash,
            assurance_level: 1,
            created_at: batch.at,
            updated_at: batch.at,
            document_type: 'resident_id',
            ...(withPasswordColumns ? { password_changed_at: batch.at, password_policy: batch.passwordPolicy } : {}),
          })),
        )
        .onConflict()
        .ignore()
      // The ids are fresh random ones: those present now are exactly the rows this insert wrote.
      inserted.push(...(await trx('persons').whereIn('id', chunk.map((r) => r.id)).pluck('id')))
    }
    return inserted
  }

  async function insertEnterprisesSqlite(trx: Knex, rows: SeedEnterpriseRow[], at: number): Promise<number> {
    let written = 0
    for (let i = 0; i < rows.length; i += SQLITE_ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + SQLITE_ROWS_PER_INSERT)
      await trx('enterprises')
        .insert(chunk.map((r) => ({ id: r.id, uscc: r.uscc, name: r.name, kind: r.kind, legal_representative_id: r.legalRepresentativeId, created_at: at, updated_at: at })))
        .onConflict()
        .ignore()
      written += Number((await trx('enterprises').whereIn('id', chunk.map((r) => r.id)).count({ n: '*' }))[0].n)
    }
    return written
  }
}

/** The database's own words: knex puts the whole statement (here, kilobytes of SQL) in front of them. */
function driverMessage(err: unknown): string {
  const message = (err as Error)?.message ?? String(err)
  const sqlEnd = message.lastIndexOf(' - ')
  return /^\s*(insert|update|select|with)\b/i.test(message) && sqlEnd > 0 ? message.slice(sqlEnd + 3) : message
}

function toDb(row: SeedRunRow) {
  return {
    id: row.id,
    seed: row.seed,
    first_person: row.firstPerson,
    persons: row.persons,
    first_enterprise: row.firstEnterprise,
    enterprises: row.enterprises,
    persons_written: row.personsWritten,
    enterprises_written: row.enterprisesWritten,
    skipped: row.skipped,
    started_at: row.startedAt,
    finished_at: row.finishedAt,
  }
}

function fromDb(row: Record<string, unknown>): SeedRunRow {
  return {
    id: String(row.id),
    seed: Number(row.seed),
    firstPerson: Number(row.first_person),
    persons: Number(row.persons),
    firstEnterprise: Number(row.first_enterprise),
    enterprises: Number(row.enterprises),
    personsWritten: Number(row.persons_written),
    enterprisesWritten: Number(row.enterprises_written),
    skipped: Number(row.skipped),
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at == null ? null : Number(row.finished_at),
  }
}
