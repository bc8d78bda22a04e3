/*
 * Aggregates for the admin dashboard, read from rollups (migration 20261128400700) so that a page
 * view costs the same at 10^3 and 10^7 accounts. Days are China Standard Time (UTC+8) calendar
 * days. Scope filters are division-code prefixes (null = whole province).
 *
 * Audit-event counts are exact: the rollup holds everything up to rollup_state.audit_seq and each
 * read adds the newer events live, all in one snapshot (repeatable read on PostgreSQL), so a fold
 * committing meanwhile is counted once. Person counts are recomputed by refresh() and carry its time.
 */
import type { Knex } from 'knex'
import type { Db } from './db.js'

const DAY_MS = 86_400_000
const CST_OFFSET_MS = 8 * 3_600_000
/** Arbitrary constant naming the dashboard-refresh lock among the database's advisory locks. */
const DASHBOARD_LOCK_KEY = 73_316
const TRY_LOCK_SQL = "select pg_try_advisory_xact_lock(hashtext(coalesce(current_schema(), '')), ?) as locked"

/** The audit event types the dashboard counts; only these are folded into the rollup. */
export const DASHBOARD_EVENT_TYPES = ['auth.login.succeeded', 'auth.login.failed', 'oidc.authorization.accepted'] as const
export type DashboardEventType = (typeof DASHBOARD_EVENT_TYPES)[number]

export type DashboardStore = ReturnType<typeof createDashboardStore>

export function createDashboardStore(db: Db) {
  const isPg = db.client.config.client === 'pg'
  const dayOf = (column: string) => `cast((${column} + ${CST_OFFSET_MS}) / ${DAY_MS} as integer)`
  const rows = (result: unknown) => result as Record<string, unknown>[]

  /**
   * Event counts per (type, day, division, client): the rollup plus the events not folded yet, read
   * after `foldedSeq` in the same snapshot (the seq is a literal so that PostgreSQL walks the primary
   * key for the few recent rows instead of planning for a third of the table).
   */
  function events(conn: Knex | Knex.Transaction, foldedSeq: number, types: readonly DashboardEventType[], sinceDay: number, prefixes: string[] | null) {
    const folded = conn('dashboard_event_days').select('type', 'day', 'division_code', 'client_id', 'n').whereIn('type', types).where('day', '>=', sinceDay)
    const recent = conn('audit_events')
      .select('type', db.raw(`${dayOf('at')} as day`), db.raw("coalesce(division_code, '') as division_code"), db.raw("coalesce(client_id, '') as client_id"), db.raw('1 as n'))
      .where('seq', '>', foldedSeq)
      .whereIn('type', types)
      .where('at', '>=', sinceDay * DAY_MS - CST_OFFSET_MS)
    return conn.from(folded.unionAll(recent).as('e')).modify((b) => scopedByDivision(b, 'e.division_code', prefixes))
  }

  /** Persons rollup rows in scope: the recorded division, else (prefecture scopes and wider) the ID number's. */
  function personsIn(table: string, prefixes: string[] | null) {
    return db(table).modify((b) => {
      if (!prefixes) return
      b.where((w) => {
        w.whereRaw('1 = 0')
        for (const p of prefixes) {
          w.orWhere('division_code', 'like', `${p}%`)
          if (p.length <= 4) w.orWhere((x) => x.where('division_code', '').andWhere('id_prefecture', 'like', `${p}%`))
        }
      })
    })
  }

  return {
    /**
     * The dashboard's audit-event figures in one consistent snapshot (a refresh committing meanwhile
     * is counted once): sign-ins per day × prefecture (4-digit prefix) and failed sign-ins per day
     * from CST day `sinceDay`, and the `limit` busiest portals from `portalsSinceDay`.
     */
    async eventFigures(q: { sinceDay: number; portalsSinceDay: number; portalTypes: DashboardEventType[]; limit: number }, prefixes: string[] | null) {
      return db.transaction(
        async (trx) => {
          const state = await trx('dashboard_rollup_state').where('id', 1).first('audit_seq')
          const seq = Number(state?.audit_seq ?? 0)
          const prefecture = 'substr(e.division_code, 1, 4)'
          const signIns = await events(trx, seq, ['auth.login.succeeded'], q.sinceDay, prefixes).select('e.day', db.raw(`${prefecture} as prefecture`)).sum({ n: 'e.n' }).groupByRaw(`e.day, ${prefecture}`)
          const failed = await events(trx, seq, ['auth.login.failed'], q.sinceDay, prefixes).select('e.day').sum({ n: 'e.n' }).groupBy('e.day')
          const portals = await trx
            .from(events(trx, seq, q.portalTypes, q.portalsSinceDay, prefixes).where('e.client_id', '<>', '').select('e.client_id').sum({ n: 'e.n' }).groupBy('e.client_id').as('t'))
            .leftJoin('clients as c', 'c.client_id', 't.client_id')
            .select('t.client_id', 'c.name', 't.n')
            .orderBy('t.n', 'desc')
            .orderBy('t.client_id')
            .limit(q.limit)
          return {
            signIns: rows(signIns).map((r) => ({ day: Number(r.day), prefecture: r.prefecture ? String(r.prefecture) : '', n: Number(r.n) })),
            failed: rows(failed).map((r) => ({ day: Number(r.day), n: Number(r.n) })),
            portals: rows(portals).map((r) => ({ clientId: String(r.client_id), name: r.name ? String(r.name) : String(r.client_id), n: Number(r.n) })),
          }
        },
        isPg ? { isolationLevel: 'repeatable read', readOnly: true } : undefined,
      )
    },
    async registrationsPerDay(sinceDay: number, prefixes: string[] | null) {
      const result = await personsIn('dashboard_registration_days', prefixes).where('day', '>=', sinceDay).select('day').sum({ n: 'n' }).groupBy('day')
      return rows(result).map((r) => ({ day: Number(r.day), n: Number(r.n) }))
    },
    async assuranceLevels(prefixes: string[] | null) {
      const result = await personsIn('dashboard_person_counts', prefixes).select('assurance_level as level').sum({ n: 'n' }).groupBy('assurance_level')
      return rows(result).map((r) => ({ level: Number(r.level), n: Number(r.n) }))
    },
    /** Persons with a confirmed second factor (TOTP). */
    async mfaAdoption(prefixes: string[] | null): Promise<{ total: number; enrolled: number }> {
      const row = await personsIn('dashboard_person_counts', prefixes).sum({ total: 'n' }).select(db.raw('sum(case when mfa_enrolled = 1 then n else 0 end) as enrolled')).first()
      return { total: Number(row?.total ?? 0), enrolled: Number(row?.enrolled ?? 0) }
    },
    /** When the person counts were last recomputed (epoch ms; 0 = never). */
    async personsAsOf(): Promise<number> {
      const row = await db('dashboard_rollup_state').where('id', 1).first('persons_as_of')
      return Number(row?.persons_as_of ?? 0)
    },
    /**
     * Folds new audit events into the rollup and, when the person counts are older than
     * `personsMaxAgeMs`, recomputes them. Several nodes run this job: on PostgreSQL a try-lock lets
     * one of them do it and the others skip (SQLite has a single writer). Returns what it did.
     */
    async refresh(now: number, personsMaxAgeMs: number): Promise<{ folded: number; persons: boolean } | undefined> {
      return db.transaction(async (trx) => {
        if (isPg && !(await trx.raw(TRY_LOCK_SQL, [DASHBOARD_LOCK_KEY])).rows[0].locked) return undefined
        const state = await trx('dashboard_rollup_state').where('id', 1).first()
        const folded = await foldEvents(trx, Number(state.audit_seq))
        const persons = now - Number(state.persons_as_of) >= personsMaxAgeMs
        if (persons) await recountPersons(trx, now)
        return { folded, persons }
      })
    },
  }

  /** Adds events after `fromSeq` to the rollup. Appends commit in seq order (audit chain lock), so no gap is skipped. */
  async function foldEvents(trx: Knex.Transaction, fromSeq: number): Promise<number> {
    const top = await trx('audit_events').where('seq', '>', fromSeq).max({ seq: 'seq' }).first()
    if (top?.seq == null) return 0
    const toSeq = Number(top.seq)
    await trx.raw(
      `insert into dashboard_event_days (type, day, division_code, client_id, n)
       select type, ${dayOf('at')}, coalesce(division_code, ''), coalesce(client_id, ''), count(*) from audit_events
       where seq > ? and seq <= ? and type in (${DASHBOARD_EVENT_TYPES.map(() => '?').join(', ')})
       group by type, ${dayOf('at')}, coalesce(division_code, ''), coalesce(client_id, '')
       on conflict (type, day, division_code, client_id) do update set n = dashboard_event_days.n + excluded.n`,
      [fromSeq, toSeq, ...DASHBOARD_EVENT_TYPES],
    )
    await trx('dashboard_rollup_state').where('id', 1).update({ audit_seq: toSeq })
    return toSeq - fromSeq
  }

  /** One pass per table over persons: counts by home division, level and second factor; registrations per day. */
  async function recountPersons(trx: Knex.Transaction, now: number): Promise<void> {
    const home = `coalesce(d.division_code, '')`
    const idPrefecture = `case when d.division_code is null then substr(p.id_number_masked, 1, 4) else '' end`
    await trx('dashboard_person_counts').delete()
    await trx.raw(
      `insert into dashboard_person_counts (division_code, id_prefecture, assurance_level, mfa_enrolled, n)
       select ${home}, ${idPrefecture}, p.assurance_level, case when t.person_id is null then 0 else 1 end, count(*)
       from persons p left join person_divisions d on d.person_id = p.id left join totp_credentials t on t.person_id = p.id
       group by ${home}, ${idPrefecture}, p.assurance_level, case when t.person_id is null then 0 else 1 end`,
    )
    await trx('dashboard_registration_days').delete()
    await trx.raw(
      `insert into dashboard_registration_days (day, division_code, id_prefecture, n)
       select ${dayOf('p.created_at')}, ${home}, ${idPrefecture}, count(*)
       from persons p left join person_divisions d on d.person_id = p.id
       group by ${dayOf('p.created_at')}, ${home}, ${idPrefecture}`,
    )
    await trx('dashboard_rollup_state').where('id', 1).update({ persons_as_of: now })
  }
}

/** `column like 'p%'` for any of `prefixes`; null = no filter (whole province). */
function scopedByDivision(b: Knex.QueryBuilder, column: string, prefixes: string[] | null): void {
  if (!prefixes) return
  b.where((w) => {
    w.whereRaw('1 = 0')
    for (const p of prefixes) w.orWhere(column, 'like', `${p}%`)
  })
}

export function cstDay(at: number): number {
  return Math.floor((at + CST_OFFSET_MS) / DAY_MS)
}

export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(5, 10)
}
