import type { Knex } from 'knex'

/**
 * Provenance of imported accounts: one row per (source system, legacy user id), so that
 * re-running an import is safe and a person merged from several systems keeps every origin.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('person_imports', (t) => {
    t.string('source_client_id', 64).notNullable()
    t.string('legacy_user_id', 128).notNullable()
    t.string('person_id', 32).notNullable().references('id').inTable('persons').onDelete('CASCADE')
    t.string('hash_format', 20).notNullable()
    t.bigInteger('imported_at').notNullable()
    t.primary(['source_client_id', 'legacy_user_id'])
    t.index(['person_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('person_imports')
}
