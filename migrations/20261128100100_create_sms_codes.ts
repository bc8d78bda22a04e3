import type { Knex } from 'knex'

/**
 * One-time SMS codes (registration, sign-in, password reset). Only a keyed hash of the code is
 * kept; a code is single-use (consumed_at), expires, and dies after a few wrong guesses.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sms_codes', (t) => {
    t.string('id', 32).primary()
    t.string('phone', 20).notNullable()
    t.string('purpose', 20).notNullable()
    t.string('code_hash', 64).notNullable()
    t.integer('attempts').notNullable().defaultTo(0)
    t.bigInteger('created_at').notNullable()
    t.bigInteger('expires_at').notNullable()
    t.bigInteger('consumed_at')
    t.index(['phone', 'purpose', 'created_at'])
    t.index(['expires_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sms_codes')
}
