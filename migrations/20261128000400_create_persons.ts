import type { Knex } from 'knex'

/**
 * Natural persons. The ID number is stored sealed (AES-256-GCM) and found through a keyed
 * HMAC blind index; the key for either never enters the database.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('persons', (t) => {
    t.string('id', 32).primary()
    t.string('name', 100).notNullable()
    t.text('id_number_sealed').notNullable()
    t.string('id_number_index', 64).notNullable().unique()
    t.string('id_number_masked', 32).notNullable()
    t.string('phone', 20).notNullable().unique()
    t.text('password_hash').notNullable()
    t.smallint('assurance_level').notNullable().defaultTo(1)
    t.bigInteger('created_at').notNullable()
    t.bigInteger('updated_at').notNullable()
    t.bigInteger('disabled_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('persons')
}
