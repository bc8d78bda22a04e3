/* Driver errors mapped once: SQLite and PostgreSQL spell a unique violation differently. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string }
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || (e?.code === 'SQLITE_CONSTRAINT' && /UNIQUE/.test(e.message ?? ''))
}

/** Connection-level failures: the database is down or unreachable, not a bad query. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; name?: string }
  return ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', 'ETIMEDOUT'].includes(e?.code ?? '') || e?.name === 'KnexTimeoutError'
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
