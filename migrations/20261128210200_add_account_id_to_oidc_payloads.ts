import type { Knex } from 'knex'

/**
 * Session rows name their account in a column, so that "sign out everywhere" and an
 * administrator can find every session of a person without reading every payload.
 * Existing Session rows are filled from their JSON payload.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.string('account_id', 64)
    t.index(['type', 'account_id'])
  })
  const sessions = await knex('oidc_payloads').select('id', 'payload').where({ type: 'Session' })
  for (const row of sessions) {
    const accountId = (JSON.parse(row.payload) as { accountId?: unknown }).accountId
    if (typeof accountId === 'string') await knex('oidc_payloads').where({ type: 'Session', id: row.id }).update({ account_id: accountId })
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropIndex(['type', 'account_id'])
    t.dropColumn('account_id')
  })
}
