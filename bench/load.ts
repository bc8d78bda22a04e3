/*
 * Load shapes. closedLoop: every connection sends its next request as soon as the previous
 * answer arrives (peak throughput). fixedRate: requests are due at a fixed rate and latency is
 * measured from when each was due, not when it was sent, so a stalled server is not hidden by
 * the client waiting politely (coordinated omission).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Connection } from './http.js'

export type Operation = (connection: Connection, index: number) => Promise<void>

export interface LoadResult {
  ok: number
  errors: number
  firstError?: string
  seconds: number
  perSecond: number
  p50: number
  p99: number
  /** Server CPU (all threads) per successful operation, in µs; set by the caller. */
  cpuMicros?: number
  /** Of which the main thread (JavaScript, SQLite, everything but the libuv pool and V8's helpers), in µs. */
  mainThreadMicros?: number
}

export async function closedLoop(connections: Connection[], op: Operation, bound: { seconds?: number; count?: number }): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  let next = 0
  const started = performance.now()
  const deadline = bound.seconds ? started + bound.seconds * 1000 : Infinity
  const limit = bound.count ?? Infinity
  await Promise.all(connections.map(async (connection) => {
    while (performance.now() < deadline) {
      const index = next++
      if (index >= limit) return
      const t0 = performance.now()
      try {
        await op(connection, index)
        latencies.push(performance.now() - t0)
      } catch (err) {
        errors += 1
        firstError ??= (err as Error).message
        if (errors > 50 && errors > latencies.length) throw new Error(`too many errors, first: ${firstError}`)
      }
    }
  }))
  return summarise(latencies, errors, firstError, (performance.now() - started) / 1000)
}

export async function fixedRate(connections: Connection[], op: Operation, rate: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  let next = 0
  const total = Math.max(1, Math.floor(rate * seconds))
  const started = performance.now()
  await Promise.all(connections.map(async (connection) => {
    for (;;) {
      const index = next++
      if (index >= total) return
      const due = started + (index * 1000) / rate
      const wait = due - performance.now()
      if (wait >= 1) await sleep(wait)
      // A request sent late is timed from when it was due; one sent up to a millisecond early
      // (timers are not finer) from when it was sent, so no latency comes out negative.
      const from = Math.min(due, performance.now())
      try {
        await op(connection, index)
        latencies.push(performance.now() - from)
      } catch (err) {
        errors += 1
        firstError ??= (err as Error).message
      }
    }
  }))
  return summarise(latencies, errors, firstError, (performance.now() - started) / 1000)
}

function summarise(latencies: number[], errors: number, firstError: string | undefined, seconds: number): LoadResult {
  const sorted = Float64Array.from(latencies).sort()
  return { ok: sorted.length, errors, firstError, seconds, perSecond: sorted.length / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Relative spread of repeated runs: (max - min) / median. */
export function spread(values: number[]): number {
  if (values.length < 2) return 0
  return (Math.max(...values) - Math.min(...values)) / median(values)
}
