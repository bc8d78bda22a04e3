/*
 * The oidc-provider adapter: every model (sessions, codes, tokens, grants, interactions,
 * PAR, replay detection…) in one table, keyed by (type, id), each row with its expiry.
 * Clients are the exception: they are read from the clients table (see clients.ts).
 */
import type { Knex } from 'knex'
import type { Db } from './db.js'
import type { ClientStore } from './clients.js'
import { createFastSql, statement, type Statement } from './fast-sql.js'
import { ACTING_GRANT_COLUMNS } from './enterprises.js'
import { PERSON_COLUMNS } from './persons.js'
import { readAlong } from './read-along.js'
import { groupedLookups } from './grouped-lookups.js'
import { isCutOff } from '../shared/sessions-cutoff.js'
import { isStorableKey } from './errors.js'

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: unknown }

export interface AdapterDeps {
  db: Db
  clients: ClientStore
  /** Called when a conditional consume finds the row already consumed; must throw. */
  onConsumeConflict: (model: string) => never
  now?: () => number
}

export function createAdapterClass(deps: AdapterDeps) {
  const { db, clients } = deps
  const now = deps.now ?? Date.now
  // Every statement below runs on most token requests: fixed SQL, prepared once (fast-sql.ts).
  const sql = createFastSql(db)
  /** Token look-ups by id asked for in the running task, on either database (see findToken). */
  const tokenFinds = new Map<string, { types: Set<string>; rows: Promise<Row[]> }>()
  /** PostgreSQL: grants and sessions read together with a token, until used or the turn ends (see findWithRelated). */
  const related = new Map<string, Row | null>()
  const along = readAlong(db)
  let relatedClearing = false

  /**
   * PostgreSQL: a token's lookup also reads its grant and its session (by the token's
   * sessionUid) in the same statement, because oidc-provider asks for them next, one round trip
   * each: on a refresh or a code exchange that was two of about nine. They are kept only until
   * asked for once, or until this turn of the event loop ends, or until any write through the
   * adapter; so what the provider gets is what the database held when the token was read.
   * The person and acting record findAccount asks for come along too (read-along.ts; they are
   * not adapter rows, and are kept through the code's consume). Concurrent requests' look-ups
   * share one statement (grouped-lookups.ts): an introspection cost 24 % less CPU, a refresh 7–12 %
   * (alternating 1 s slices against one statement each).
   */
  async function findWithRelated(type: string, id: string): Promise<Row[]> {
    const [row] = await lookupWithRelated(type)(id)
    if (!row) return []
    rememberRelated(row)
    if (row.person != null) along.keep(type, id, 'person', String(row.account_id), row.person as Row)
    if (row.grant_id != null) along.keep(type, id, 'actingGrant', String(row.grant_id), row.a_person_id == null ? null : { person_id: row.a_person_id, client_id: row.a_client_id, enterprise_id: row.a_enterprise_id })
    return [{ type, payload: row.payload, expires_at: row.expires_at, consumed_at: row.consumed_at }]
  }

  /** PostgreSQL: token look-ups by id, grouped across concurrent requests; one group per model. */
  const withRelatedByType = new Map<string, (id: string) => Promise<Row[]>>()
  function lookupWithRelated(type: string): (id: string) => Promise<Row[]> {
    let lookup = withRelatedByType.get(type)
    if (!lookup) {
      lookup = groupedLookups((ids) => sql.rows(FIND_WITH_RELATED, [type, ids]), (row) => String(row.id), MAX_LOOKUP_KEYS)
      withRelatedByType.set(type, lookup)
    }
    return lookup
  }
  const lookupTokensWithRelated = groupedLookups((ids) => sql.rows(FIND_TOKEN_WITH_RELATED, [ids]), (row) => String(row.id), MAX_LOOKUP_KEYS)

  /** Keeps the grant and session read with a token (columns g_*, s_*), for Grant.find and Session.findByUid. */
  function rememberRelated(row: Row): void {
    if (row.grant_id != null) remember(`Grant\0${row.grant_id}`, row.g_payload == null ? null : { payload: row.g_payload, expires_at: row.g_expires_at, consumed_at: row.g_consumed_at })
    if (row.session_uid != null) remember(`Session\0${row.session_uid}`, row.s_payload == null ? null : { payload: row.s_payload, expires_at: row.s_expires_at, consumed_at: row.s_consumed_at, p_disabled_at: row.s_p_disabled_at, p_sessions_not_before: row.s_p_sessions_not_before })
  }

  function remember(key: string, row: Row | null): void {
    related.set(key, row)
    if (relatedClearing) return
    relatedClearing = true
    setImmediate(() => {
      related.clear()
      relatedClearing = false
    })
  }

  /** A token of any type (see findToken), with its grant and session (see findWithRelated). */
  async function findAnyTokenWithRelated(id: string): Promise<Row[]> {
    const rows = await lookupTokensWithRelated(id)
    for (const row of rows) rememberRelated(row)
    return rows.map((row) => ({ type: row.type, payload: row.payload, expires_at: row.expires_at, consumed_at: row.consumed_at }))
  }

  /** PostgreSQL: upserts waiting for the next grouped statement (see upsertGrouped). */
  let pendingUpserts: PendingUpsert[] = []
  let upsertsWriting = false

  /**
   * PostgreSQL: concurrent token requests each save a token or two; their upserts go out as one
   * multi-row statement instead of one round trip each. The first waits only for the end of the
   * current turn of the event loop; those asked for while a statement is on its way form the
   * next one, written when it returns (as the audit trail's appends are). One statement at a
   * time also keeps two upserts of one row in their order. Each caller is answered once its row
   * is written. Two upserts of one row in a batch, or a failed statement, fall back to one
   * statement per row, in order, so one bad row fails alone.
   */
  function upsertGrouped(values: unknown[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      pendingUpserts.push({ values, resolve, reject })
      if (!upsertsWriting) {
        upsertsWriting = true
        setImmediate(flushUpserts)
      }
    })
  }

  async function flushUpserts(): Promise<void> {
    try {
      while (pendingUpserts.length > 0) {
        const batch = pendingUpserts
        pendingUpserts = []
        await writeUpserts(batch)
      }
    } finally {
      upsertsWriting = false
    }
  }

  async function writeUpserts(group: PendingUpsert[]): Promise<void> {
    if (group.length > 1 && distinctRows(group)) {
      for (let i = 0; i < group.length; i += MAX_UPSERT_ROWS) {
        const chunk = group.slice(i, i + MAX_UPSERT_ROWS)
        try {
          await sql.run(upsertStatement(chunk.length), chunk.flatMap((u) => u.values))
          for (const u of chunk) u.resolve()
        } catch {
          for (const u of chunk) await writeOneUpsert(u)
        }
      }
      return
    }
    for (const u of group) await writeOneUpsert(u)
  }

  function writeOneUpsert(u: PendingUpsert): Promise<void> {
    return sql.run(upsertStatement(1), u.values).then(() => u.resolve(), u.reject)
  }

  /** The row read with a token (null: known absent), once; undefined when nothing was kept. */
  function takeRelated(key: string): Row | null | undefined {
    const row = related.get(key)
    if (row !== undefined) related.delete(key)
    return row
  }

  /**
   * A token presented without saying what it is (introspection, revocation) is looked up as an
   * access token, a client-credentials token and a refresh token at once: oidc-provider asks for
   * all three synchronously, which made three statements and, on PostgreSQL, three round trips.
   * Look-ups of one id asked for in the same task share one statement instead, sent from a
   * microtask: before anything else can run, so it still sees every write that had completed
   * when they were asked for. A lone look-up (a refresh) keeps the one-type statement.
   */
  function findToken(type: string, id: string): Promise<Row[]> {
    const pending = tokenFinds.get(id)
    if (pending) {
      pending.types.add(type)
      return pending.rows
    }
    const types = new Set([type])
    const rows = new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
      tokenFinds.delete(id)
      if (types.size > 1) return sql.isPg ? findAnyTokenWithRelated(id) : sql.rows(FIND_ANY_TOKEN, [...TOKEN_TYPES].map(() => id))
      if (sql.isPg && WITH_RELATED.has(type)) return findWithRelated(type, id)
      return sql.rows(FIND_BY.id, [type, id]).then((found) => found.map((row) => ({ ...row, type })))
    })
    tokenFinds.set(id, { types, rows })
    return rows
  }

  return class KnexAdapter {
    readonly name: string

    constructor(name: string) {
      this.name = name
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      // In PAYLOAD_COLUMNS order. Sessions and grants name their account in a column: the
      // account centre and "sign out everywhere" find them by it.
      const values: unknown[] = [
        this.name,
        id,
        JSON.stringify(payload),
        payload.grantId ?? (this.name === 'Grant' ? id : null),
        payload.userCode ?? null,
        payload.uid ?? null,
        (this.name === 'Session' || this.name === 'Grant') && typeof payload.accountId === 'string' ? payload.accountId : null,
        expiresIn ? now() + expiresIn * 1000 : null,
      ]
      related.clear()
      if (this.name === 'Session') {
        // A session is never written back under an id that was ended (see ENDED_SESSION).
        values.push(id)
        await sql.run(SESSION_UPSERT, values)
      } else if (sql.isPg) await upsertGrouped(values)
      else await sql.run(upsertStatement(1), values)
    }

    async find(id: string): Promise<Payload | undefined> {
      if (!isStorableKey(id)) return undefined
      if (this.name === 'Client') return clients.findMetadata(id)
      if (TOKEN_TYPES.has(this.name)) return this.fromRow((await findToken(this.name, id)).find((row) => row.type === this.name))
      if (sql.isPg) {
        if (WITH_RELATED.has(this.name)) return this.fromRow((await findWithRelated(this.name, id))[0])
        if (this.name === 'Grant') {
          const kept = takeRelated(`Grant\0${id}`)
          if (kept !== undefined) return this.fromRow(kept ?? undefined)
        }
      }
      if (this.name === 'Session') return sessionFromRow((await sql.rows(SESSION_BY.id, [id]))[0])
      return this.findBy(FIND_BY.id, id)
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      if (!isStorableKey(userCode)) return undefined
      return this.findBy(FIND_BY.userCode, userCode)
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      if (!isStorableKey(uid)) return undefined
      if (this.name !== 'Session') return this.findBy(FIND_BY.uid, uid)
      if (sql.isPg) {
        const kept = takeRelated(`Session\0${uid}`)
        if (kept !== undefined) return sessionFromRow(kept ?? undefined)
      }
      return sessionFromRow((await sql.rows(SESSION_BY.uid, [uid]))[0])
    }

    /**
     * Marks the row consumed only if it is not yet: of concurrent redemptions of one code or
     * refresh token exactly one updates a row, and the others are refused.
     */
    async consume(id: string): Promise<void> {
      related.clear()
      const updated = await sql.run(CONSUME, [now(), this.name, id])
      if (updated === 0) deps.onConsumeConflict(this.name)
    }

    async destroy(id: string): Promise<void> {
      related.clear()
      if (this.name === 'Session') await sql.run(MARK_SESSION_ENDED, [now() + ENDED_SESSION_TTL_MS, id])
      else await sql.run(DESTROY, [this.name, id])
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      related.clear()
      await sql.run(REVOKE_BY_GRANT, [this.name, grantId])
    }

    private async findBy(by: Statement, value: string): Promise<Payload | undefined> {
      const [row] = await sql.rows(by, [this.name, value])
      return this.fromRow(row)
    }

    private fromRow(row: Row | undefined): Payload | undefined {
      return payloadOf(row)
    }
  }

  function payloadOf(row: Row | undefined): Payload | undefined {
    if (!row) return undefined
    if (row.expires_at !== null && Number(row.expires_at) <= now()) return undefined
    const payload = JSON.parse(String(row.payload)) as Payload
    if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000)
    return payload
  }

  /**
   * A session row read with its person's state (SESSION_BY, or the related s_* columns): the
   * session of a disabled person, or one the person ended by signing out everywhere that a
   * request in flight wrote back (shared/sessions-cutoff.ts), is no session. oidc-provider then
   * asks for a new sign-in, and tokens bound to it fail their session check.
   */
  function sessionFromRow(row: Row | undefined): Payload | undefined {
    const payload = payloadOf(row)
    if (!payload || !row) return payload
    if (row.p_disabled_at != null) return undefined
    if (row.p_sessions_not_before != null && isCutOff(Number(row.p_sessions_not_before), payload.loginTs as number | undefined)) return undefined
    return payload
  }
}

/** payload, expires_at, consumed_at (and type, for token look-ups). */
type Row = Record<string, unknown>

const SELECT = 'select payload, expires_at, consumed_at from oidc_payloads where type = ? and'
/** The models oidc-provider looks a presented token up in when it does not know which it is. */
const TOKEN_TYPES = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken'])
/** PostgreSQL: models whose lookup also reads the grant and session asked for next (see findWithRelated). */
const WITH_RELATED = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode'])
/** The token's grant and its session (LATERAL, so each is an index lookup keyed by the token's row `t`). */
const GRANT_AND_SESSION = `g.payload as g_payload, g.expires_at as g_expires_at, g.consumed_at as g_consumed_at,
     s.payload as s_payload, s.expires_at as s_expires_at, s.consumed_at as s_consumed_at,
     s.p_disabled_at as s_p_disabled_at, s.p_sessions_not_before as s_p_sessions_not_before`
/** A session row with the state of its person that decides whether it still counts (see sessionFromRow). */
const SESSION_COLUMNS = 'os.payload, os.expires_at, os.consumed_at, p.disabled_at as p_disabled_at, p.sessions_not_before as p_sessions_not_before'
const SESSION_WITH_PERSON = 'oidc_payloads os left join persons p on p.id = os.account_id'
const SESSION_BY = {
  id: statement('session_by_id', `select ${SESSION_COLUMNS} from ${SESSION_WITH_PERSON} where os.type = 'Session' and os.id = ? limit 1`),
  uid: statement('session_by_uid', `select ${SESSION_COLUMNS} from ${SESSION_WITH_PERSON} where os.type = 'Session' and os.uid = ? limit 1`),
}
/** The token's payload is parsed as JSON once (`tj.j`), for every field the joins and columns read from it. */
const JOIN_GRANT_AND_SESSION = `cross join lateral (select t.payload::json as j) tj
   left join lateral (select payload, expires_at, consumed_at from oidc_payloads where type = 'Grant' and id = t.grant_id limit 1) g on true
   left join lateral (select ${SESSION_COLUMNS} from ${SESSION_WITH_PERSON} where os.type = 'Session' and os.uid = (tj.j ->> 'sessionUid') limit 1) s on true`
/**
 * One token with its grant and its session, and for findAccount the person it is for and the
 * grant's acting record (read-along.ts). The person comes as one JSON object (bigints as numbers).
 */
const FIND_WITH_RELATED = statement(
  'payload_with_related',
  `select t.id, t.payload, t.expires_at, t.consumed_at, t.grant_id, tj.j ->> 'sessionUid' as session_uid,
     tj.j ->> 'accountId' as account_id, ${GRANT_AND_SESSION}, p.person, a.person_id as a_person_id, a.client_id as a_client_id, a.enterprise_id as a_enterprise_id
   from oidc_payloads t
   ${JOIN_GRANT_AND_SESSION}
   left join lateral (select row_to_json(x) as person from (select ${PERSON_COLUMNS} from persons where id = (tj.j ->> 'accountId') limit 1) x) p on true
   left join lateral (select ${ACTING_GRANT_COLUMNS} from acting_grants where grant_id = t.grant_id limit 1) a on true
   where t.type = ? and t.id = any(?)`,
)
/** A token presented without its type (introspection, revocation), in every token model, with its grant and session. */
const FIND_TOKEN_WITH_RELATED = statement(
  'payload_token_with_related',
  `select t.id, t.type, t.payload, t.expires_at, t.consumed_at, t.grant_id, tj.j ->> 'sessionUid' as session_uid, ${GRANT_AND_SESSION}
   from oidc_payloads t
   ${JOIN_GRANT_AND_SESSION}
   where t.id = any(?) and t.type in (${[...TOKEN_TYPES].map((t) => `'${t}'`).join(', ')})`,
)
/**
 * SQLite: a token presented without its type, in every token model at once: one probe of the
 * primary key per model (the id is bound once per probe). Written as `id = ? and type in (…)`,
 * SQLite built the IN list anew on every run: 21 µs per introspection in the server against 13 µs
 * for the three probes, and a whole introspection cost 9 % more CPU (alternating old/new runs).
 */
const FIND_ANY_TOKEN = statement(
  'payload_any_token',
  [...TOKEN_TYPES].map((t) => `select type, payload, expires_at, consumed_at from oidc_payloads where type = '${t}' and id = ?`).join(' union all '),
)
const FIND_BY = {
  id: statement('payload_by_id', `${SELECT} id = ? limit 1`),
  uid: statement('payload_by_uid', `${SELECT} uid = ? limit 1`),
  userCode: statement('payload_by_user_code', `${SELECT} user_code = ? limit 1`),
}
/** PostgreSQL's grouped token look-ups, for the test that checks their plans use the primary key. */
export const GROUPED_TOKEN_LOOKUPS = { withRelated: FIND_WITH_RELATED, anyTypeWithRelated: FIND_TOKEN_WITH_RELATED }
/**
 * An ended session's id is kept for a while as a row of type ENDED_SESSION. oidc-provider saves a
 * request's session when the request ends, so a request that loaded the session before a logout
 * (another tab's sign-in, a portal's prompt=none) would otherwise write it back after the logout
 * ended it, and the person would be signed in again. Ending turns the session's row into the
 * mark in one statement (no more writes than deleting it), and the session upsert writes nothing
 * under a marked id. Writing back only happens within one request, so an hour is far longer than
 * needed; the cleanup job removes expired marks.
 */
export const ENDED_SESSION = 'EndedSession'
const ENDED_SESSION_TTL_MS = 60 * 60 * 1000
/** A session's row made its mark (endSessionRows does the same through knex). */
const MARK_SESSION_ENDED = statement(
  'payload_mark_session_ended',
  `update oidc_payloads set type = '${ENDED_SESSION}', payload = '{}', grant_id = null, uid = null, account_id = null, expires_at = ? where type = 'Session' and id = ?`,
)

/**
 * Ends sessions by id (logout outside the provider: sign out everywhere, ending one session, an
 * administrator) the way the adapter's destroy does; returns how many sessions there were.
 */
export async function endSessionRows(conn: Knex, sessionIds: string[], at = Date.now()): Promise<number> {
  let ended = 0
  for (let i = 0; i < sessionIds.length; i += 500) {
    const ids = sessionIds.slice(i, i + 500)
    ended += await conn('oidc_payloads')
      .where({ type: 'Session' })
      .whereIn('id', ids)
      .update({ type: ENDED_SESSION, payload: '{}', grant_id: null, uid: null, account_id: null, expires_at: at + ENDED_SESSION_TTL_MS })
  }
  return ended
}

/** The columns every model's row is written with, type and id first (the upserts' value order). */
const PAYLOAD_COLUMNS = ['type', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'account_id', 'expires_at'] as const
const UPSERT_UPDATES = PAYLOAD_COLUMNS.filter((c) => c !== 'type' && c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')

/**
 * A session's upsert that writes nothing when its id was ended: the upsert's values, then the id
 * once more for the check. expires_at is cast so that PostgreSQL types the bare parameter.
 */
const SESSION_UPSERT = statement(
  'session_upsert',
  `insert into oidc_payloads (${PAYLOAD_COLUMNS.join(', ')}) select ${PAYLOAD_COLUMNS.map((c) => (c === 'expires_at' ? 'cast(? as bigint)' : '?')).join(', ')} where not exists (select 1 from oidc_payloads where type = '${ENDED_SESSION}' and id = ?) on conflict (type, id) do update set ${UPSERT_UPDATES}`,
)

const CONSUME = statement('payload_consume', 'update oidc_payloads set consumed_at = ? where type = ? and id = ? and consumed_at is null')
const DESTROY = statement('payload_destroy', 'delete from oidc_payloads where type = ? and id = ?')
const REVOKE_BY_GRANT = statement('payload_revoke_by_grant', 'delete from oidc_payloads where type = ? and grant_id = ?')

/** Whether no row (type, id) appears twice: one multi-row upsert cannot write a row twice. */
function distinctRows(group: PendingUpsert[]): boolean {
  return new Set(group.map((u) => `${String(u.values[0])}\0${String(u.values[1])}`)).size === group.length
}

interface PendingUpsert {
  /** In PAYLOAD_COLUMNS order. */
  values: unknown[]
  resolve(): void
  reject(err: unknown): void
}

/** Most tokens in one grouped PostgreSQL look-up. */
const MAX_LOOKUP_KEYS = 64

/** Most rows in one grouped PostgreSQL upsert (each row binds 9 values). */
const MAX_UPSERT_ROWS = 16

const upserts: Statement[] = []

/** Insert or replace `rows` rows (distinct keys), built once per row count. */
function upsertStatement(rows: number): Statement {
  let s = upserts[rows]
  if (!s) {
    const tuple = `(${PAYLOAD_COLUMNS.map(() => '?').join(', ')})`
    const values = Array.from({ length: rows }, () => tuple).join(', ')
    s = statement(`payload_upsert_${rows}`, `insert into oidc_payloads (${PAYLOAD_COLUMNS.join(', ')}) values ${values} on conflict (type, id) do update set ${UPSERT_UPDATES}`)
    upserts[rows] = s
  }
  return s
}

/**
 * The client an interaction was for, whether or not it has expired (expired rows stay until the
 * cleanup job): the "sign-in expired" page links back to that portal.
 */
export async function interactionClientId(db: Db, uid: string): Promise<string | undefined> {
  const row = await db('oidc_payloads').where({ type: 'Interaction', id: uid }).first('payload')
  if (!row) return undefined
  const clientId = (JSON.parse(String(row.payload)) as { params?: { client_id?: unknown } }).params?.client_id
  return typeof clientId === 'string' ? clientId : undefined
}

/** Deletes expired rows; returns how many. Run periodically by the cleanup job. */
export async function deleteExpiredPayloads(db: Db, now = Date.now()): Promise<number> {
  return db('oidc_payloads').where('expires_at', '<=', now).delete()
}
