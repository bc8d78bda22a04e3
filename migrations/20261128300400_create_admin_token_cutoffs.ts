import type { Knex } from 'knex'

/**
 * Admin-API access tokens are JWTs, checked without a database read of the token itself; this
 * row makes them revocable. Every token of the person issued before `not_before` (epoch ms) is
 * refused on the next request: set when an administrator ends the person's sessions, disables
 * the account, changes the password or signs out of the console.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_token_cutoffs', (t) => {
    t.string('person_id', 32).primary()
    t.bigInteger('not_before').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_token_cutoffs')
}
