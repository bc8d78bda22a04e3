/*
 * Audit rows. Appends are serialised so that each row links to exactly one predecessor, and the
 * chain head row moves in the same transaction (or statement) as the rows it covers:
 * - inside a caller's transaction (a change and its record commit together): on PostgreSQL a
 *   transaction-level advisory lock plus a row lock on the head, on SQLite the single writer;
 * - group-committed appends (every token request records one) take the fast path below, on
 *   prepared statements (fast-sql.ts) instead of knex's query builder and transaction runner.
 */
import type { Knex } from 'knex'
import type { AuditRecord } from '../audit/events.js'
import type { HashedFields } from '../audit/hash.js'
import { withSessionLock, type Db } from './db.js'
import { createFastSql, statement, type SyncSqlSession } from './fast-sql.js'

/** Arbitrary constant naming the audit-append lock among the database's advisory locks. */
const AUDIT_LOCK_KEY = 0x0ed0_a0d1
/**
 * Advisory locks are database-wide: the lock is keyed by schema too, so that OneDoors on other
 * schemas of one database (the test suite's parallel schemas) never wait on each other's chain.
 */
const AUDIT_LOCK_SQL = "select pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '')), ?)"
/** Names the lock that lets one archive run at a time, whichever host starts it. */
const ARCHIVE_LOCK_KEY = 0x0ed0_a7c1

export interface AuditQuery {
  /** Division-code prefixes the reader may see; null = everything (province scope). */
  divisionPrefixes: string[] | null
  from?: number
  to?: number
  type?: string
  targetId?: string
  actorId?: string
  clientId?: string
  limit?: number
  afterSeq?: number
}

export interface AuditAnchor {
  seq: number
  hash: string
}

export type AuditStore = ReturnType<typeof createAuditStore>

type Build = (prevHash: string) => HashedFields & { hash: string }

/** Most records one group-commit transaction writes (17 bound values each). */
const MAX_BATCH = 200

export function createAuditStore(db: Db) {
  const pending: { build: Build; resolve: (record: AuditRecord) => void; reject: (err: unknown) => void }[] = []
  let flushing = false
  const sql = createFastSql(db)
  /** PostgreSQL: the head this process last wrote, so the next batch can move it in one statement. */
  let lastWritten: AuditAnchor | undefined
  /** SQLite: appends waiting for the next group commit (see appendGroupedOnSqlite). */
  let sqliteGroup: typeof pending | undefined

  return { append, head, anchor, readFrom, query, countByType, purgeThrough, lastSeqBefore, countBefore, exclusive }

  /** Runs `work` as the only archive run on this database (other runs wait for it). */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    return withSessionLock(db, ARCHIVE_LOCK_KEY, work)
  }

  /**
   * Appends one record inside `trx` (or a transaction of its own); `build` gets the previous hash.
   * Without `trx`, appends are group-committed: every token request records an event, and one
   * serialised transaction per event (lock, head read, insert, head update) capped token
   * throughput. On SQLite they join fast-sql's group commit (with the token writes of the same
   * moment); on PostgreSQL appends arriving while a batch is written form the next batch,
   * written in arrival order. Each caller's promise settles only after its batch committed, so
   * nothing is acknowledged before it is durable.
   */
  function append(build: Build, trx?: Knex.Transaction): Promise<AuditRecord> {
    if (trx) return appendIn(trx, [build]).then((records) => records[0])
    if (!sql.isPg) return appendGroupedOnSqlite(build)
    return new Promise<AuditRecord>((resolve, reject) => {
      pending.push({ build, resolve, reject })
      if (!flushing) void flush()
    })
  }

  async function flush(): Promise<void> {
    flushing = true
    try {
      while (pending.length > 0) {
        const batch = pending.splice(0, MAX_BATCH)
        try {
          const records = await writeBatch(batch.map((b) => b.build))
          batch.forEach((b, i) => b.resolve(records[i]))
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err)
            continue
          }
          // One unwritable record must not take the others with it: write them one by one.
          for (const b of batch) {
            try {
              b.resolve((await writeBatch([b.build]))[0])
            } catch (one) {
              b.reject(one)
            }
          }
        }
      }
    } finally {
      flushing = false
    }
  }

  /**
   * One PostgreSQL batch, in one round trip when it can: one statement moves the head from where
   * this process last left it and inserts the rows only if it did (the head row's lock
   * serialises it against every other writer, the locked path included); if another process
   * appended meanwhile, nothing is written and the batch takes the locked path, which also
   * learns the new head.
   */
  async function writeBatch(builds: Build[]): Promise<AuditRecord[]> {
    const known = lastWritten
    if (known) {
      const records = chain(known, builds)
      const last = records[records.length - 1]
      // The rows go as one JSON parameter: node-postgres builds array parameters (one per column)
      // element by element in JavaScript, which cost more than the rest of the append.
      const moved = await sql.run(PG_APPEND_IF_HEAD, [last.seq, last.hash, known.seq, known.hash, JSON.stringify(records.map(toRow))]).catch(() => 0)
      if (moved === records.length) {
        lastWritten = { seq: last.seq, hash: last.hash }
        return records
      }
    }
    // Another process appended, or the statement failed (nothing was written: it is one
    // statement): the locked path learns the head and reports a record it cannot write.
    lastWritten = undefined
    const records = await db.transaction((trx) => appendIn(trx, builds))
    const last = records[records.length - 1]
    lastWritten = { seq: last.seq, hash: last.hash }
    return records
  }

  /**
   * SQLite: the appends asked for before the next group commit share one piece of its work, so
   * the chain head is read and moved once per commit instead of once per record. If the shared
   * work fails, each record is tried again alone, so one unwritable record fails only itself.
   */
  function appendGroupedOnSqlite(build: Build): Promise<AuditRecord> {
    return new Promise<AuditRecord>((resolve, reject) => {
      if (!sqliteGroup) {
        const group: typeof pending = []
        sqliteGroup = group
        sql
          .sqliteTransaction((session) => {
            if (sqliteGroup === group) sqliteGroup = undefined
            return appendOnSqlite(session, group.map((g) => g.build))
          })
          .then(
            (records) => group.forEach((g, i) => g.resolve(records[i])),
            (err) => {
              if (sqliteGroup === group) sqliteGroup = undefined
              if (group.length === 1) return group[0].reject(err)
              for (const g of group) sql.sqliteTransaction((session) => appendOnSqlite(session, [g.build])[0]).then(g.resolve, g.reject)
            },
          )
      }
      sqliteGroup.push({ build, resolve, reject })
    })
  }

  /** SQLite: synchronous, inside one transaction of the group commit (the single writer). */
  function appendOnSqlite(session: SyncSqlSession, builds: Build[]): AuditRecord[] {
    const [current] = session.rows(HEAD, [])
    const [archived] = current ? [] : session.rows(LAST_ARCHIVE, [])
    const start = current ? { seq: Number(current.seq), hash: String(current.hash) } : archived ? { seq: Number(archived.through_seq), hash: String(archived.last_hash) } : GENESIS
    const records = chain(start, builds)
    for (const record of records) session.run(INSERT_ONE, rowValues(record))
    const last = records[records.length - 1]
    session.run(current ? UPDATE_HEAD : INSERT_HEAD, [last.seq, last.hash])
    return records
  }

  async function appendIn(trx: Knex.Transaction, builds: Build[]): Promise<AuditRecord[]> {
    const isPg = trx.client.config.client === 'pg'
    if (isPg) await trx.raw(AUDIT_LOCK_SQL, [AUDIT_LOCK_KEY])
    // The row lock makes a concurrent one-statement append (writeBatch) wait for this transaction.
    const current = await trx('audit_chain_head').where({ id: 1 }).modify((q) => (isPg ? q.forUpdate() : q)).first()
    const records = chain(current ? { seq: Number(current.seq), hash: current.hash as string } : await anchor(trx), builds)
    const prev = records[records.length - 1]
    await trx('audit_events').insert(records.map(toRow))
    if (current) await trx('audit_chain_head').where({ id: 1 }).update({ seq: prev.seq, hash: prev.hash })
    else await trx('audit_chain_head').insert({ id: 1, seq: prev.seq, hash: prev.hash })
    return records
  }

  async function head(conn: Knex = db): Promise<AuditAnchor | undefined> {
    const row = await conn('audit_chain_head').where({ id: 1 }).first()
    return row ? { seq: Number(row.seq), hash: row.hash } : undefined
  }

  /** Where the stored chain starts: the last archived record, or the genesis. */
  async function anchor(conn: Knex = db): Promise<AuditAnchor> {
    const row = await conn('audit_archives').orderBy('through_seq', 'desc').first()
    return row ? { seq: Number(row.through_seq), hash: row.last_hash } : GENESIS
  }

  async function readFrom(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await db('audit_events').where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit)
    return rows.map(fromRow)
  }

  async function query(q: AuditQuery): Promise<AuditRecord[]> {
    const rows = await db('audit_events')
      .modify((b) => {
        if (q.divisionPrefixes) {
          const prefixes = q.divisionPrefixes
          b.where((w) => {
            if (prefixes.length === 0) w.whereRaw('1 = 0')
            for (const p of prefixes) w.orWhere('division_code', 'like', `${p}%`)
          })
        }
        if (q.from !== undefined) b.where('at', '>=', q.from)
        if (q.to !== undefined) b.where('at', '<', q.to)
        if (q.type) b.where('type', q.type)
        if (q.targetId) b.where('target_id', q.targetId)
        if (q.actorId) b.where('actor_id', q.actorId)
        if (q.clientId) b.where('client_id', q.clientId)
        if (q.afterSeq !== undefined) b.where('seq', '>', q.afterSeq)
      })
      .orderBy('seq', 'asc')
      .limit(q.limit ?? 1000)
    return rows.map(fromRow)
  }

  /** Event counts per type for one client since `since` (integration health). */
  async function countByType(clientId: string, since: number): Promise<Record<string, number>> {
    const rows = await db('audit_events').where({ client_id: clientId }).where('at', '>=', since).select('type').count({ n: '*' }).groupBy('type')
    return Object.fromEntries((rows as Record<string, unknown>[]).map((r) => [String(r.type), Number(r.n)]))
  }

  async function lastSeqBefore(at: number): Promise<number | undefined> {
    const row = await db('audit_events').where('at', '<', at).max({ seq: 'seq' }).first()
    return row?.seq == null ? undefined : Number(row.seq)
  }

  async function countBefore(at: number): Promise<number> {
    const row = await db('audit_events').where('at', '<', at).count({ n: '*' }).first()
    return Number(row?.n ?? 0)
  }

  /** Deletes every record up to `throughSeq` and leaves the anchor verification resumes from. */
  async function purgeThrough(archive: { throughSeq: number; lastHash: string; beforeAt: number; count: number; fileSha256: string; file: string }): Promise<number> {
    return db.transaction(async (trx) => {
      if (trx.client.config.client === 'pg') await trx.raw(AUDIT_LOCK_SQL, [AUDIT_LOCK_KEY])
      const deleted = await trx('audit_events').where('seq', '<=', archive.throughSeq).delete()
      await trx('audit_archives').insert({
        archived_at: Date.now(),
        before_at: archive.beforeAt,
        through_seq: archive.throughSeq,
        last_hash: archive.lastHash,
        count: archive.count,
        file_sha256: archive.fileSha256,
        file: archive.file.slice(0, 500),
      })
      return deleted
    })
  }
}

const GENESIS: AuditAnchor = { seq: 0, hash: '0'.repeat(64) }

/**
 * Links `builds` after `start`: each gets the previous hash and the next seq. A build returns a
 * new object on every call (a batch that is tried again builds again), so the seq is set on it.
 */
function chain(start: AuditAnchor, builds: Build[]): AuditRecord[] {
  let prev = start
  return builds.map((build) => {
    const record = build(prev.hash) as AuditRecord
    record.seq = prev.seq + 1
    prev = record
    return record
  })
}

const ROW_COLUMNS = ['seq', 'id', 'at', 'type', 'actor_type', 'actor_id', 'client_id', 'ip', 'user_agent', 'division_code', 'target_type', 'target_id', 'result', 'error_code', 'details', 'prev_hash', 'hash'] as const
const BIGINT_COLUMNS = new Set<string>(['seq', 'at'])

const HEAD = statement('audit_head', 'select seq, hash from audit_chain_head where id = 1')
const LAST_ARCHIVE = statement('audit_last_archive', 'select through_seq, last_hash from audit_archives order by through_seq desc limit 1')
const UPDATE_HEAD = statement('audit_update_head', 'update audit_chain_head set seq = ?, hash = ? where id = 1')
const INSERT_HEAD = statement('audit_insert_head', 'insert into audit_chain_head (id, seq, hash) values (1, ?, ?)')
const INSERT_ONE = statement('audit_insert', `insert into audit_events (${ROW_COLUMNS.join(', ')}) values (${ROW_COLUMNS.map(() => '?').join(', ')})`)
/** Moves the head from (?3, ?4) to (?1, ?2) and, only if it moved, inserts the batch (?5: a JSON array of rows). */
const PG_APPEND_IF_HEAD = statement(
  'audit_append_if_head',
  `with moved as (update audit_chain_head set seq = ?, hash = ? where id = 1 and seq = ? and hash = ? returning id)
   insert into audit_events (${ROW_COLUMNS.join(', ')})
   select ${ROW_COLUMNS.join(', ')} from json_to_recordset(?::json) as r(${ROW_COLUMNS.map((c) => `${c} ${BIGINT_COLUMNS.has(c) ? 'bigint' : 'text'}`).join(', ')})
   where exists (select 1 from moved)`,
)

/** A record's values in ROW_COLUMNS order (SQLite's insert binds them by position). */
function rowValues(r: AuditRecord): unknown[] {
  return [r.seq, r.id, r.at, r.type, r.actorType, r.actorId, r.clientId, r.ip, r.userAgent, r.divisionCode, r.targetType, r.targetId, r.result, r.errorCode, r.details, r.prevHash, r.hash]
}

function toRow(r: AuditRecord) {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    type: r.type,
    actor_type: r.actorType,
    actor_id: r.actorId,
    client_id: r.clientId,
    ip: r.ip,
    user_agent: r.userAgent,
    division_code: r.divisionCode,
    target_type: r.targetType,
    target_id: r.targetId,
    result: r.result,
    error_code: r.errorCode,
    details: r.details,
    prev_hash: r.prevHash,
    hash: r.hash,
  }
}

function fromRow(row: Record<string, unknown>): AuditRecord {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v))
  return {
    seq: Number(row.seq),
    id: String(row.id),
    at: Number(row.at),
    type: String(row.type),
    actorType: String(row.actor_type),
    actorId: text(row.actor_id),
    clientId: text(row.client_id),
    ip: text(row.ip),
    userAgent: text(row.user_agent),
    divisionCode: text(row.division_code),
    targetType: text(row.target_type),
    targetId: text(row.target_id),
    result: row.result === 'failure' ? 'failure' : 'success',
    errorCode: text(row.error_code),
    details: String(row.details),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  }
}
