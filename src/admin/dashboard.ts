/*
 * The dashboard: the numbers a provincial office puts in its annual report, scoped to the
 * viewer's division and drawn as server-side SVG. Failed sign-ins get an alert band (the
 * 14-day mean ± 3 standard deviations): a day above it is a spike worth a look.
 */
import type { TFunction } from 'i18next'
import { cstDay, dayLabel, type DashboardStore } from '../store/dashboard.js'
import type { DivisionScope } from './scope.js'
import { horizontalBars, stackedBars } from './svg.js'

export type Dashboard = ReturnType<typeof createDashboard>

export interface DashboardDeps {
  store: DashboardStore
  scope: DivisionScope
  now?: () => number
  divisionName?: (code: string) => string | undefined
  /** How old the person counts may get before the refresh job recomputes them (they need a full pass over persons). */
  personsMaxAgeSeconds: number
}

export function createDashboard(deps: DashboardDeps) {
  const now = deps.now ?? Date.now
  return {
    /** The periodic job (every node runs it; one does the work): folds new audit events, recounts persons when due. */
    refresh: () => deps.store.refresh(now(), deps.personsMaxAgeSeconds * 1000),
    async charts(divisionCode: string, t: TFunction) {
      const prefixes = deps.scope.levelOf(divisionCode) === 'province' ? null : deps.scope.prefixesFor(divisionCode)
      // Before the first refresh (fresh install or upgrade) the rollups are empty: fill them once, here.
      if ((await deps.store.personsAsOf()) === 0) await deps.store.refresh(now(), deps.personsMaxAgeSeconds * 1000)
      const today = cstDay(now())
      const days = Array.from({ length: 14 }, (_, i) => today - 13 + i)
      const since = days[0]
      const labels = days.map(dayLabel)

      // The portals: the 30 CST days up to today (whole days: the rollup's unit).
      const { signIns, failed, portals } = await deps.store.eventFigures({ sinceDay: since, portalsSinceDay: today - 29, portalTypes: ['oidc.authorization.accepted', 'auth.login.succeeded'], limit: 10 }, prefixes)
      const prefectures = [...new Set(signIns.map((r) => r.prefecture))].sort()
      const signInSeries = prefectures.map((p) => ({
        label: deps.divisionName?.(`${p}00`) ?? (p ? `${p}00` : t('admin.dashboard.unassigned')),
        values: days.map((d) => signIns.filter((r) => r.day === d && r.prefecture === p).reduce((s, r) => s + r.n, 0)),
      }))

      const registrations = await deps.store.registrationsPerDay(since, prefixes)
      const levels = await deps.store.assuranceLevels(prefixes)
      const mfa = await deps.store.mfaAdoption(prefixes)
      const failedValues = days.map((d) => failed.find((r) => r.day === d)?.n ?? 0)
      const mean = failedValues.reduce((a, b) => a + b, 0) / failedValues.length
      const sd = Math.sqrt(failedValues.reduce((a, b) => a + (b - mean) ** 2, 0) / failedValues.length)
      const band = { low: Math.max(0, mean - 3 * sd), high: mean + 3 * sd, label: t('admin.dashboard.band') }
      const spikes = days.filter((_, i) => failedValues[i] > band.high && failedValues[i] > 0).map(dayLabel)

      const personsAsOf = await deps.store.personsAsOf()
      return {
        /** CST time of the person counts (levels, MFA, registrations), "HH:MM". */
        personsAsOf: personsAsOf === 0 ? null : new Date(personsAsOf + 8 * 3_600_000).toISOString().slice(11, 16),
        totals: {
          signIns: signIns.reduce((s, r) => s + r.n, 0),
          registrations: registrations.reduce((s, r) => s + r.n, 0),
          persons: mfa.total,
          mfaEnrolled: mfa.enrolled,
          failed: failedValues.reduce((a, b) => a + b, 0),
        },
        spikes,
        signIns: stackedBars(t('admin.dashboard.signIns'), labels, signInSeries),
        registrations: stackedBars(t('admin.dashboard.registrations'), labels, [{ label: t('admin.dashboard.natural'), values: days.map((d) => registrations.find((r) => r.day === d)?.n ?? 0) }]),
        levels: horizontalBars(t('admin.dashboard.levels'), [1, 2, 3].map((level) => ({ label: t('admin.dashboard.level', { level }), value: levels.find((l) => l.level === level)?.n ?? 0 }))),
        mfa: horizontalBars(t('admin.dashboard.mfa'), [{ label: t('admin.dashboard.mfaOn'), value: mfa.enrolled }, { label: t('admin.dashboard.mfaOff'), value: mfa.total - mfa.enrolled }]),
        portals: horizontalBars(t('admin.dashboard.portals'), portals.map((p) => ({ label: p.name, value: p.n }))),
        failed: stackedBars(t('admin.dashboard.failed'), labels, [{ label: t('admin.dashboard.failed'), values: failedValues }], { band }),
      }
    },
  }
}
