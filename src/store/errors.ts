/* Driver errors mapped once: SQLite and PostgreSQL spell a unique violation differently. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string }
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || (e?.code === 'SQLITE_CONSTRAINT' && /UNIQUE/.test(e.message ?? ''))
}

// Socket errors, and PostgreSQL's admin_shutdown, crash_shutdown and cannot_connect_now
// (starting up or shutting down); SQLSTATE class 08 (connection exception) is matched below.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03'])

/**
 * Connection-level failures: the database is down, restarting or unreachable, not a bad query.
 * The HTTP layer answers these with 503 temporarily_unavailable and /readyz goes false, so a
 * load balancer and the clients retry instead of treating them as server bugs (issue 6, drill 1).
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.some(isConnectionError) // connect() tried IPv4 and IPv6
  const e = err as { code?: unknown; name?: string; message?: string } | undefined
  const code = typeof e?.code === 'string' ? e.code : ''
  if (CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || e?.name === 'KnexTimeoutError') return true
  // node-postgres reports a socket that died under a pooled client without a code.
  // Its pool reports a connection it could not open in time as a plain timeout.
  return /Connection terminated|not queryable|terminating connection|timeout exceeded when trying to connect/i.test(e?.message ?? '')
}

/**
 * Runs an insert and reports whether it went in: false when a unique constraint refused it (the
 * row exists already, decided atomically by the database), any other failure is thrown.
 */
export async function insertedUnlessDuplicate(insert: PromiseLike<unknown>): Promise<boolean> {
  try {
    await insert
    return true
  } catch (err) {
    if (isUniqueViolation(err)) return false
    throw err
  }
}

/**
 * PostgreSQL's text cannot hold U+0000: a parameter with one fails the whole statement (SQLSTATE
 * 22021). No stored key has one, so a key that does (a token, client id or code sent with %00)
 * names nothing, and look-ups answer "not found" without asking the database, on both databases.
 */
export function isStorableKey(value: string): boolean {
  return !value.includes('\u0000')
}

/**
 * Text the database refused to hold (a NUL byte in free text on PostgreSQL): bad input, answered
 * 400 invalid_request by the HTTP layer rather than 500.
 */
export function isUnstorableText(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === '22021'
}
