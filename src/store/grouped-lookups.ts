/*
 * PostgreSQL: look-ups by key that concurrent requests ask for go out as one statement
 * (`… = any(?)`) instead of one round trip each. Every round trip costs the server a write and
 * a read on the socket, a protocol parse and a wake-up of a database backend; on loopback that was
 * a third of the CPU of an introspection.
 *
 * The first look-up waits only for the end of the current turn of the event loop (so that
 * requests that arrived together share it); those asked for while a statement is on its way form
 * the next one, sent when it returns. So batches grow with load and an idle server adds one turn.
 * A look-up is always sent after it was asked for, so it sees every write that had completed by
 * then, as a statement of its own would have. A statement that fails is sent again key by key,
 * so a failure reaches only the callers whose key fails alone.
 */

interface Waiter<Row> {
  resolve(rows: Row[]): void
  reject(err: unknown): void
}

/**
 * `lookup(keys)` returns the rows of every key it was given (in any order, none for an absent
 * key); `keyOf(row)` says which key a row answers. The returned function gives one key's rows.
 */
export function groupedLookups<Row>(lookup: (keys: string[]) => Promise<Row[]>, keyOf: (row: Row) => string, maxKeys: number): (key: string) => Promise<Row[]> {
  let waiting = new Map<string, Waiter<Row>[]>()
  let sending = false

  async function sendAll(): Promise<void> {
    try {
      while (waiting.size > 0) {
        const batch = waiting
        waiting = new Map()
        const keys = [...batch.keys()]
        for (let i = 0; i < keys.length; i += maxKeys) await send(keys.slice(i, i + maxKeys), batch)
      }
    } finally {
      sending = false
    }
  }

  async function send(keys: string[], batch: Map<string, Waiter<Row>[]>): Promise<void> {
    let rows: Row[]
    try {
      rows = await lookup(keys)
    } catch (err) {
      // One key the database refuses must not fail the requests that share its statement:
      // each is asked again alone, and only the failing ones fail.
      if (keys.length > 1) for (const key of keys) await send([key], batch)
      else for (const w of batch.get(keys[0])!) w.reject(err)
      return
    }
    const byKey = new Map<string, Row[]>()
    for (const row of rows) {
      const key = keyOf(row)
      const found = byKey.get(key)
      if (found) found.push(row)
      else byKey.set(key, [row])
    }
    for (const key of keys) for (const w of batch.get(key)!) w.resolve(byKey.get(key) ?? [])
  }

  return (key: string) =>
    new Promise<Row[]>((resolve, reject) => {
      const waiters = waiting.get(key)
      if (waiters) waiters.push({ resolve, reject })
      else waiting.set(key, [{ resolve, reject }])
      if (!sending) {
        sending = true
        setImmediate(() => void sendAll())
      }
    })
}
