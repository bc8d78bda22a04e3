import type { Knex } from 'knex'

/**
 * Look-ups by uid or grant_id (a session by its uid on every refresh, revocation of a grant's
 * tokens) were planned on SQLite through the (type, account_id) index, with only `type = ?`
 * usable: a scan of every row of that type, which grows with the number of tokens issued. Most
 * rows leave grant_id, uid, user_code and account_id empty (a client-credentials token has none
 * of them), so these indexes now hold only rows that have a value. The (type, account_id) index
 * can then serve only queries that name an account, and every look-up by uid, grant_id or
 * user_code (`= ?`, `in (…)`, which imply a value) uses its own index, on SQLite and PostgreSQL.
 * Inserts no longer write an index entry for each empty column either.
 */
const PARTIAL: { columns: string[]; present: string }[] = [
  { columns: ['grant_id'], present: 'grant_id' },
  { columns: ['uid'], present: 'uid' },
  { columns: ['user_code'], present: 'user_code' },
  { columns: ['type', 'account_id'], present: 'account_id' },
]

export async function up(knex: Knex): Promise<void> {
  for (const { columns, present } of PARTIAL) {
    await knex.schema.alterTable('oidc_payloads', (t) => {
      t.dropIndex(columns)
      t.index(columns, undefined, { predicate: knex.whereNotNull(present) })
    })
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const { columns } of PARTIAL) {
    await knex.schema.alterTable('oidc_payloads', (t) => {
      t.dropIndex(columns)
      t.index(columns)
    })
  }
}
