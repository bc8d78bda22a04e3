import type { Knex } from 'knex'

/**
 * Every token grant appends an audit row, so each b-tree an append touches costs on every
 * token request (and on SQLite each page a commit touches is written to the WAL again).
 * - SQLite: `seq` becomes the table's rowid (`integer primary key`): the rows are stored in seq
 *   order in the table's own b-tree instead of a table plus a separate primary-key index.
 *   SQLite cannot change a primary key in place, so the table is rebuilt (inside the
 *   migration's transaction: it ends either wholly old or wholly new).
 * - Both databases: `id` keeps its values but loses its unique index. Nothing looks a record up
 *   by id (readers go by seq, time, type, division); `seq` is the key, and each id is the
 *   millisecond time plus 77 random bits (shared/ids.ts), so the index bought no safety worth
 *   an index write per append. The hash covers the id, so `audit verify` still notices any
 *   edit to one.
 * Measured on SQLite (60k appends, 8 per commit, on a table of 100k rows): 18.2 µs per append
 * before, 13.6 µs after.
 */
const COLUMNS = `seq, id, at, type, actor_type, actor_id, client_id, ip, user_agent, division_code, target_type, target_id, result, error_code, details, prev_hash, hash`

function columnsDdl(seqType: string): string {
  return `seq ${seqType}, id varchar(32) not null, at bigint not null, type varchar(80) not null,
    actor_type varchar(16) not null, actor_id varchar(64), client_id varchar(64), ip varchar(64),
    user_agent varchar(300), division_code varchar(12), target_type varchar(32), target_id varchar(128),
    result varchar(8) not null, error_code varchar(80), details text not null,
    prev_hash varchar(64) not null, hash varchar(64) not null`
}

const INDEXES = [
  'create index audit_events_at_index on audit_events (at)',
  'create index audit_events_type_at_index on audit_events (type, at)',
  'create index audit_events_division_code_at_index on audit_events (division_code, at)',
]

/** SQLite: copies the trail into a table of the given shape, which takes the old one's name. */
async function rebuildOnSqlite(knex: Knex, seqType: string, uniqueId: boolean): Promise<void> {
  await knex.raw(`create table audit_events_rebuilt (${columnsDdl(seqType)}${uniqueId ? ', constraint audit_events_id_unique unique (id)' : ''})`)
  await knex.raw(`insert into audit_events_rebuilt (${COLUMNS}) select ${COLUMNS} from audit_events order by seq`)
  await knex.raw('drop table audit_events')
  await knex.raw('alter table audit_events_rebuilt rename to audit_events')
  for (const sql of INDEXES) await knex.raw(sql)
}

const isPg = (knex: Knex) => knex.client.config.client === 'pg'

export async function up(knex: Knex): Promise<void> {
  if (isPg(knex)) {
    await knex.schema.alterTable('audit_events', (t) => t.dropUnique(['id']))
    return
  }
  await rebuildOnSqlite(knex, 'integer not null primary key', false)
}

export async function down(knex: Knex): Promise<void> {
  if (isPg(knex)) {
    await knex.schema.alterTable('audit_events', (t) => t.unique(['id']))
    return
  }
  await rebuildOnSqlite(knex, 'bigint not null primary key', true)
}
