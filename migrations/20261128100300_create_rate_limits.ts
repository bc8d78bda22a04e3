import type { Knex } from 'knex'

/**
 * Fixed-window counters shared by every server process: failed sign-ins per account and per IP,
 * SMS sends per phone and per IP. The key names the limit, the subject (hashed) and the window.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 160).primary()
    t.integer('count').notNullable()
    t.bigInteger('expires_at').notNullable()
    t.index(['expires_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits')
}
