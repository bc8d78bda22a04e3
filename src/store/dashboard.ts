/*
 * Aggregates for the admin dashboard. Days are China Standard Time (UTC+8) calendar days.
 * Scope filters are division-code prefixes (null = whole province).
 */
import type { Knex } from 'knex'
import type { Db } from './db.js'

const DAY_MS = 86_400_000
const CST_OFFSET_MS = 8 * 3_600_000

export type DashboardStore = ReturnType<typeof createDashboardStore>

export function createDashboardStore(db: Db) {
  const dayExpr = `cast((at + ${CST_OFFSET_MS}) / ${DAY_MS} as integer)`
  const scoped = (b: Knex.QueryBuilder, column: string, prefixes: string[] | null) => {
    if (!prefixes) return
    b.where((w) => {
      w.whereRaw('1 = 0')
      for (const p of prefixes) w.orWhere(column, 'like', `${p}%`)
    })
  }

  return {
    /** [{ day, prefecture (4-digit prefix), n }] of an audit event type since `since`. */
    async eventsPerDayAndPrefecture(type: string, since: number, prefixes: string[] | null) {
      const rows = await db('audit_events')
        .where('type', type)
        .where('at', '>=', since)
        .modify((b) => scoped(b, 'division_code', prefixes))
        .select(db.raw(`${dayExpr} as day`), db.raw('substr(division_code, 1, 4) as prefecture'))
        .count({ n: '*' })
        .groupByRaw(`${dayExpr}, substr(division_code, 1, 4)`)
      return (rows as Record<string, unknown>[]).map((r) => ({ day: Number(r.day), prefecture: r.prefecture ? String(r.prefecture) : '', n: Number(r.n) }))
    },
    async eventsPerDay(type: string, since: number, prefixes: string[] | null) {
      const rows = await db('audit_events').where('type', type).where('at', '>=', since).modify((b) => scoped(b, 'division_code', prefixes)).select(db.raw(`${dayExpr} as day`)).count({ n: '*' }).groupByRaw(dayExpr)
      return (rows as Record<string, unknown>[]).map((r) => ({ day: Number(r.day), n: Number(r.n) }))
    },
    async topClients(types: string[], since: number, prefixes: string[] | null, limit: number) {
      const rows = await db('audit_events as e')
        .leftJoin('clients as c', 'c.client_id', 'e.client_id')
        .whereIn('e.type', types)
        .where('e.at', '>=', since)
        .whereNotNull('e.client_id')
        .modify((b) => scoped(b, 'e.division_code', prefixes))
        .select('e.client_id', 'c.name')
        .count({ n: '*' })
        .groupBy('e.client_id', 'c.name')
        .orderBy('n', 'desc')
        .limit(limit)
      return (rows as Record<string, unknown>[]).map((r) => ({ clientId: String(r.client_id), name: r.name ? String(r.name) : String(r.client_id), n: Number(r.n) }))
    },
    /** Persons by home division: the recorded one, else the prefecture of the ID number's area code. */
    personsQuery(prefixes: string[] | null) {
      return db('persons as p')
        .leftJoin('person_divisions as d', 'd.person_id', 'p.id')
        .modify((b) => {
          if (!prefixes) return
          b.where((w) => {
            w.whereRaw('1 = 0')
            for (const p of prefixes) {
              w.orWhere('d.division_code', 'like', `${p}%`)
              if (p.length <= 4) w.orWhere((x) => x.whereNull('d.division_code').andWhere('p.id_number_masked', 'like', `${p}%`))
            }
          })
        })
    },
    async registrationsPerDay(since: number, prefixes: string[] | null) {
      const expr = `cast((p.created_at + ${CST_OFFSET_MS}) / ${DAY_MS} as integer)`
      const rows = await this.personsQuery(prefixes).where('p.created_at', '>=', since).select(db.raw(`${expr} as day`)).count({ n: '*' }).groupByRaw(expr)
      return (rows as Record<string, unknown>[]).map((r) => ({ day: Number(r.day), n: Number(r.n) }))
    },
    async assuranceLevels(prefixes: string[] | null) {
      const rows = await this.personsQuery(prefixes).select('p.assurance_level as level').count({ n: '*' }).groupBy('p.assurance_level')
      return (rows as Record<string, unknown>[]).map((r) => ({ level: Number(r.level), n: Number(r.n) }))
    },
    /** Persons with a confirmed second factor, when the MFA tables exist (issue 3). */
    async mfaAdoption(prefixes: string[] | null): Promise<{ total: number; enrolled: number | null }> {
      const totalRow = await this.personsQuery(prefixes).count({ n: '*' }).first()
      const total = Number(totalRow?.n ?? 0)
      for (const table of ['totp_credentials']) {
        if (await db.schema.hasTable(table)) {
          const row = await this.personsQuery(prefixes).whereIn('p.id', db(table).select('person_id')).count({ n: '*' }).first()
          return { total, enrolled: Number(row?.n ?? 0) }
        }
      }
      return { total, enrolled: null }
    },
  }
}

export function cstDay(at: number): number {
  return Math.floor((at + CST_OFFSET_MS) / DAY_MS)
}

export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(5, 10)
}
