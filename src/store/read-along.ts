/*
 * PostgreSQL: rows read in the same statement as a token (oidc-adapter.ts), handed to the steps
 * of the same request that would otherwise each make a round trip for them right after: the
 * person the token is for (findAccount) and the grant's acting record (oidc/acting.ts). On a
 * refresh or a userinfo call that was two of four round trips.
 *
 * Rows are kept under the token they were read with (model and id), so only a step holding that
 * token can take them, and only for the person or grant they were looked up by; each row is taken
 * once, and dropped unused after MAX_AGE_MS (a request that failed before asking). So what a step
 * gets is what the database held when a request read that token: its own read (which replaced
 * any earlier one) or, if its own read kept no rows, one at most MAX_AGE_MS earlier. The code
 * exchange consumes the code between the two, which is why rows are not dropped at the end of
 * the event loop's turn.
 */
import type { Db } from './db.js'

/** The token a lookup is made for: an oidc-provider model instance (kind, jti) or nothing. */
export interface ReadWith {
  kind?: string
  jti?: string
}

export type ReadAlongPart = 'person' | 'actingGrant'

export type ReadAlong = ReturnType<typeof createReadAlong>

const perDb = new WeakMap<Db, ReadAlong>()

/** The read-along rows of one database handle, shared by the adapter and the stores that take them. */
export function readAlong(db: Db): ReadAlong {
  let existing = perDb.get(db)
  if (!existing) perDb.set(db, (existing = createReadAlong()))
  return existing
}

/** How long an untaken row is kept: far longer than a token request takes to ask for it. */
const MAX_AGE_MS = 1000

function createReadAlong() {
  const kept = new Map<string, { by: string; row: Record<string, unknown> | null; at: number }>()
  let sweeping = false

  /** Drops rows older than MAX_AGE_MS, then again while any are left (Map order is insertion order). */
  function sweep(): void {
    const oldest = Date.now() - MAX_AGE_MS
    for (const [key, entry] of kept) {
      if (entry.at > oldest) break
      kept.delete(key)
    }
    sweeping = kept.size > 0
    if (sweeping) setTimeout(sweep, MAX_AGE_MS).unref()
  }

  const keyOf = (part: ReadAlongPart, model: string, id: string) => `${part}\0${model}\0${id}`

  return {
    /**
     * Keeps `row`, looked up by the value `by` (a person id, a grant id; null: no such row),
     * read with the token `model`/`id`, until taken or MAX_AGE_MS.
     */
    keep(model: string, id: string, part: ReadAlongPart, by: string, row: Record<string, unknown> | null): void {
      const key = keyOf(part, model, id)
      kept.delete(key) // re-inserted last, so the map stays in order of age
      kept.set(key, { by, row, at: Date.now() })
      if (sweeping) return
      sweeping = true
      setTimeout(sweep, MAX_AGE_MS).unref()
    },

    /**
     * The row looked up by `by` and read with `token` (null: known absent), once; undefined when
     * nothing was kept for that token and value.
     */
    take(token: ReadWith | undefined, part: ReadAlongPart, by: string): Record<string, unknown> | null | undefined {
      if (kept.size === 0 || !token?.kind || !token.jti) return undefined
      const key = keyOf(part, token.kind, token.jti)
      const entry = kept.get(key)
      if (!entry) return undefined
      kept.delete(key)
      return entry.by === by && entry.at > Date.now() - MAX_AGE_MS ? entry.row : undefined
    },
  }
}
