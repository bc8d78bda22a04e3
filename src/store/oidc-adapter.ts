/*
 * The oidc-provider adapter: every model (sessions, codes, tokens, grants, interactions,
 * PAR, replay detection…) in one table, keyed by (type, id), each row with its expiry.
 * Clients are the exception: they are read from the clients table (see clients.ts).
 */
import type { Db } from './db.js'
import type { ClientStore } from './clients.js'
import { createFastSql, statement, type Statement } from './fast-sql.js'

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
  /** PostgreSQL: token look-ups by id asked for in the running task (see findToken). */
  const tokenFinds = new Map<string, { types: Set<string>; rows: Promise<Row[]> }>()

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
      return types.size === 1 ? sql.rows(FIND_BY.id, [type, id]).then((found) => found.map((row) => ({ ...row, type }))) : sql.rows(FIND_TOKEN, [id])
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
      const row = {
        type: this.name,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? (this.name === 'Grant' ? id : null),
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        // Sessions name their account in a column: "sign out everywhere" finds them by it.
        account_id: this.name === 'Session' && typeof payload.accountId === 'string' ? payload.accountId : null,
        expires_at: expiresIn ? now() + expiresIn * 1000 : null,
      }
      await sql.run(upsertStatement(Object.keys(row)), Object.values(row))
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.name === 'Client') return clients.findMetadata(id)
      if (sql.isPg && TOKEN_TYPES.has(this.name)) return this.fromRow((await findToken(this.name, id)).find((row) => row.type === this.name))
      return this.findBy(FIND_BY.id, id)
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.findBy(FIND_BY.userCode, userCode)
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return this.findBy(FIND_BY.uid, uid)
    }

    /**
     * Marks the row consumed only if it is not yet: of concurrent redemptions of one code or
     * refresh token exactly one updates a row, and the others are refused.
     */
    async consume(id: string): Promise<void> {
      const updated = await sql.run(CONSUME, [now(), this.name, id])
      if (updated === 0) deps.onConsumeConflict(this.name)
    }

    async destroy(id: string): Promise<void> {
      await sql.run(DESTROY, [this.name, id])
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await sql.run(REVOKE_BY_GRANT, [this.name, grantId])
    }

    private async findBy(by: Statement, value: string): Promise<Payload | undefined> {
      const [row] = await sql.rows(by, [this.name, value])
      return this.fromRow(row)
    }

    private fromRow(row: Row | undefined): Payload | undefined {
      if (!row) return undefined
      if (row.expires_at !== null && Number(row.expires_at) <= now()) return undefined
      const payload = JSON.parse(String(row.payload)) as Payload
      if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000)
      return payload
    }
  }
}

/** payload, expires_at, consumed_at (and type, for token look-ups). */
type Row = Record<string, unknown>

const SELECT = 'select payload, expires_at, consumed_at from oidc_payloads where type = ? and'
/** The models oidc-provider looks a presented token up in when it does not know which it is. */
const TOKEN_TYPES = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken'])
const FIND_TOKEN = statement('payload_token_by_id', `select type, payload, expires_at, consumed_at from oidc_payloads where id = ? and type in (${[...TOKEN_TYPES].map((t) => `'${t}'`).join(', ')})`)
const FIND_BY = {
  id: statement('payload_by_id', `${SELECT} id = ? limit 1`),
  uid: statement('payload_by_uid', `${SELECT} uid = ? limit 1`),
  userCode: statement('payload_by_user_code', `${SELECT} user_code = ? limit 1`),
}
const CONSUME = statement('payload_consume', 'update oidc_payloads set consumed_at = ? where type = ? and id = ? and consumed_at is null')
const DESTROY = statement('payload_destroy', 'delete from oidc_payloads where type = ? and id = ?')
const REVOKE_BY_GRANT = statement('payload_revoke_by_grant', 'delete from oidc_payloads where type = ? and grant_id = ?')

const upserts = new Map<string, Statement>()

/** Insert or replace one row; built from the row's columns (so a new column needs no SQL edit), once per column set. */
function upsertStatement(columns: string[]): Statement {
  const key = columns.join(',')
  let s = upserts.get(key)
  if (!s) {
    const updates = columns.filter((c) => c !== 'type' && c !== 'id').map((c) => `${c} = excluded.${c}`)
    s = statement(`payload_upsert_${upserts.size}`, `insert into oidc_payloads (${key}) values (${columns.map(() => '?').join(', ')}) on conflict (type, id) do update set ${updates.join(', ')}`)
    upserts.set(key, s)
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
