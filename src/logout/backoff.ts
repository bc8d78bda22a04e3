/* When a failed delivery is tried again: exponential backoff, capped; undefined once attempts run out. */
export interface RetrySettings {
  initialDelaySeconds: number
  maxDelaySeconds: number
  maxAttempts: number
}

/** `attempts` is the number of attempts made so far (1 after the first). */
export function nextAttemptAt(attempts: number, now: number, settings: RetrySettings): number | undefined {
  if (attempts >= settings.maxAttempts) return undefined
  const delaySeconds = Math.min(settings.maxDelaySeconds, settings.initialDelaySeconds * 2 ** (attempts - 1))
  return now + delaySeconds * 1000
}
