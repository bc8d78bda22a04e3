import type { Knex } from 'knex'

/**
 * Typed identity documents: the persons row keeps one primary document (sealed, blind-indexed,
 * masked as before); document_type says which kind it is. Resident ID cards and the
 * GB 11643-format permits share one number space and one blind index; passports and old-format
 * foreign permanent residence cards have indexes of their own, so each document is unique.
 * closed_at marks an account closed by its holder (personal data erased, row kept for audit).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.string('document_type', 40).notNullable().defaultTo('resident_id')
    t.bigInteger('phone_verified_at')
    t.bigInteger('closed_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.dropColumn('closed_at')
    t.dropColumn('phone_verified_at')
    t.dropColumn('document_type')
  })
}
