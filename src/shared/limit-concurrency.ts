/**
 * Runs at most `max` tasks at once; the rest wait in FIFO order. Used to keep argon2
 * from occupying every libuv thread, which would stall database I/O.
 */
export function limitConcurrency(max: number) {
  let running = 0
  const waiting: (() => void)[] = []
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve))
    running += 1
    try {
      return await task()
    } finally {
      running -= 1
      waiting.shift()?.()
    }
  }
}
