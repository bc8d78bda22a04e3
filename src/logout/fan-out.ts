/*
 * Sends logout tokens to portals: all at once, each POST with its own timeout, and the person
 * waits at most `userWaitMs` (from the first portal named) whatever the portals do. Every
 * delivery is written to the queue while its first attempt runs (leased, so no retry job takes
 * it meanwhile) and its outcome recorded after; a failure, a slow portal or a process stopping
 * in between all end the same way: the retry job sends a freshly signed token later, with
 * backoff, until it is delivered or abandoned.
 */
import type Provider from 'oidc-provider'
import type { Client } from 'oidc-provider'
import type { Logger } from 'pino'
import { newId } from '../shared/ids.js'
import { nextAttemptAt, type RetrySettings } from './backoff.js'
import { signLogoutToken } from './logout-token.js'
import { postLogoutToken, type PostLogoutToken } from './post-logout-token.js'
import type { DeliveryOutcome, LogoutQueueStore, LogoutReason, LogoutTarget, QueuedDelivery } from './types.js'

const HOUR_MS = 3_600_000

export interface FanOutSettings {
  /** Per-portal delivery timeout. */
  timeoutMs: number
  /** The longest the person's logout waits. */
  userWaitMs: number
  /** Time beyond timeoutMs a delivery being attempted stays leased: enough to sign, send and record; a dead process's rows wait this long. */
  leaseMarginMs: number
  retry: RetrySettings & { batchSize: number; retentionDays: number }
}

export interface FanOutDeps {
  provider: () => Provider
  queue: LogoutQueueStore
  settings: FanOutSettings
  logger: Logger
  post?: PostLogoutToken
  now?: () => number
  /** Told of every attempt's outcome (the audit trail records logout deliveries). */
  onOutcome?: (outcome: DeliveryOutcome) => void
}

/** How a logout's notifications stood when the person's wait ended (client ids). */
export interface FanOutReport {
  delivered: string[]
  /** Failed once; queued for retry. */
  queued: string[]
  /** Still running when the wait ended; they finish, or are queued, in the background. */
  inFlight: string[]
  /** Not sent: the portal has no back-channel logout URI (or is no longer active). */
  skipped: string[]
}

export interface RetryRunReport {
  claimed: number
  delivered: number
  retryLater: number
  abandoned: number
}

export type LogoutFanOut = ReturnType<typeof createLogoutFanOut>

export function createLogoutFanOut(deps: FanOutDeps) {
  const post = deps.post ?? postLogoutToken
  const now = deps.now ?? Date.now
  const { settings, queue, logger } = deps
  const leaseMs = settings.timeoutMs + settings.leaseMarginMs
  const background = new Set<Promise<void>>()
  let retrying = false
  let lastPurgeAt = 0

  return { notify, startBatch, runRetries, drain }

  /**
   * Tells every target portal that the session is over and returns once all have answered or
   * `userWaitMs` has passed, whichever comes first. Never throws for a portal's failure.
   */
  async function notify(targets: LogoutTarget[], reason: LogoutReason): Promise<FanOutReport> {
    const clients = await findClients(targets.map((t) => t.clientId))
    const batch = startBatch(reason)
    for (const target of targets) batch.add(target, clients.get(target.clientId))
    return batch.finish()
  }

  /**
   * A fan-out whose portals arrive one by one (as oidc-provider's end_session names them): each
   * delivery starts the moment its portal is added, so the portals are told while the provider
   * still revokes grants; `finish` queues every delivery and waits what is left of the bound.
   */
  function startBatch(reason: LogoutReason) {
    const startedAt = now()
    const report: FanOutReport = { delivered: [], queued: [], inFlight: [], skipped: [] }
    const seen = new Set<string>()
    const deliveries: QueuedDelivery[] = []
    const attempts: Promise<DeliveryOutcome>[] = []
    const state = new Map<string, 'delivered' | 'queued' | 'inFlight'>()

    return {
      add(target: LogoutTarget, client: Client | undefined): void {
        const key = `${target.clientId}\u0000${target.accountId}\u0000${target.sid ?? ''}`
        if (seen.has(key)) return
        seen.add(key)
        if (!client?.backchannelLogoutUri) {
          report.skipped.push(target.clientId)
          return
        }
        const delivery: QueuedDelivery = { ...target, id: newId(), reason, attempts: 1 }
        deliveries.push(delivery)
        state.set(delivery.id, 'inFlight')
        attempts.push(
          attempt(delivery, client, now).then((outcome) => {
            state.set(delivery.id, outcome.result === 'delivered' ? 'delivered' : 'queued')
            return outcome
          }),
        )
      },
      async finish(): Promise<FanOutReport> {
        if (deliveries.length > 0) {
          // Leased past the per-portal timeout: no retry job takes a row while its first attempt runs.
          const persisted = queue.enqueue(deliveries, { now: startedAt, leaseUntil: startedAt + leaseMs }).then(
            () => true,
            (err) => {
              logger.error({ err, deliveries: deliveries.length }, 'could not queue logout deliveries; failures will not be retried')
              return false
            },
          )
          const settled = track(
            Promise.all(attempts).then(async (outcomes) => {
              if (await persisted) await queue.recordOutcomes(outcomes)
              logSummary(reason, outcomes, now() - startedAt)
            }),
          )
          await raceWithDelay(settled, startedAt + settings.userWaitMs - now())
        }
        for (const d of deliveries) report[state.get(d.id)!].push(d.clientId)
        return report
      },
    }
  }

  /**
   * One run of the retry job: claims due deliveries (safe with other processes), sends each a
   * freshly signed token, and records the outcomes. `options.now` lets a test or an operator
   * treat every queued delivery as due without waiting for the clock.
   */
  async function runRetries(options: { now?: number } = {}): Promise<RetryRunReport> {
    const report: RetryRunReport = { claimed: 0, delivered: 0, retryLater: 0, abandoned: 0 }
    if (retrying) return report
    retrying = true
    try {
      const offset = options.now === undefined ? 0 : options.now - now()
      const clock = () => now() + offset
      const at = clock()
      const claimed = await queue.claimDue({ now: at, leaseUntil: at + leaseMs, limit: settings.retry.batchSize })
      report.claimed = claimed.length
      if (claimed.length > 0) {
        const outcomes = await Promise.all(claimed.map((d) => attempt(d, undefined, clock)))
        await queue.recordOutcomes(outcomes)
        for (const o of outcomes) {
          if (o.result === 'delivered') report.delivered += 1
          else if (o.nextAttemptAt === undefined) report.abandoned += 1
          else report.retryLater += 1
        }
        logger.info({ event: 'logout.retry.run', ...report }, 'queued logout deliveries retried')
      }
      if (at - lastPurgeAt > HOUR_MS) {
        lastPurgeAt = at
        await queue.purgeFinished(at - settings.retry.retentionDays * 24 * HOUR_MS)
      }
      return report
    } finally {
      retrying = false
    }
  }

  /** Waits for background deliveries and their records (before the database closes). */
  async function drain(): Promise<void> {
    while (background.size > 0) await Promise.allSettled([...background])
  }

  async function attempt(delivery: QueuedDelivery, knownClient: Client | undefined, clock: () => number): Promise<DeliveryOutcome> {
    const started = performance.now()
    const outcome = (result: DeliveryOutcome['result'], error?: string, retry = true): DeliveryOutcome => {
      const at = clock()
      const done: DeliveryOutcome = {
        delivery,
        result,
        ...(error ? { error } : {}),
        ...(result === 'failed' && retry ? { nextAttemptAt: nextAttemptAt(delivery.attempts, at, settings.retry) } : {}),
        durationMs: performance.now() - started,
        at,
      }
      deps.onOutcome?.(done)
      return done
    }
    try {
      const client = knownClient ?? (await deps.provider().Client.find(delivery.clientId))
      if (!client?.backchannelLogoutUri) return outcome('failed', 'portal is no longer active or has no back-channel logout URI', false)
      const token = await signLogoutToken(deps.provider(), client, delivery)
      await post(client.backchannelLogoutUri, token, settings.timeoutMs)
      return outcome('delivered')
    } catch (err) {
      const result = outcome('failed', (err as Error)?.message ?? String(err))
      logger.warn({ event: 'logout.delivery.failed', clientId: delivery.clientId, attempt: delivery.attempts, reason: result.error, retry: result.nextAttemptAt !== undefined }, 'back-channel logout delivery failed')
      return result
    }
  }

  async function findClients(clientIds: string[]): Promise<Map<string, Client | undefined>> {
    const provider = deps.provider()
    const unique = [...new Set(clientIds)]
    const found = await Promise.all(unique.map((id) => provider.Client.find(id).catch(() => undefined)))
    return new Map(unique.map((id, i) => [id, found[i]]))
  }

  function track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((err) => logger.error({ err }, 'could not record logout deliveries'))
    background.add(tracked)
    void tracked.finally(() => background.delete(tracked))
    return tracked
  }

  function logSummary(reason: LogoutReason, outcomes: DeliveryOutcome[], elapsedMs: number): void {
    const delivered = outcomes.filter((o) => o.result === 'delivered').length
    logger.info({ event: 'logout.fan_out.finished', reason, portals: outcomes.length, delivered, failed: outcomes.length - delivered, elapsedMs }, 'logout tokens sent')
  }
}

async function raceWithDelay(work: Promise<void>, ms: number): Promise<void> {
  if (ms <= 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}
