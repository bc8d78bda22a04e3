import type { Knex } from 'knex'

/**
 * What remains of a closed account for the audit the law requires: who (the opaque id and the
 * masked document number), when, and what was revoked. No name, phone or full number.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('person_closures', (t) => {
    t.string('id', 32).primary()
    t.string('person_id', 32).notNullable().index()
    t.string('document_masked', 40).notNullable()
    t.integer('grants_revoked').notNullable()
    t.integer('sessions_ended').notNullable()
    t.string('ip', 64)
    t.bigInteger('closed_at').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('person_closures')
}
