import type { Knex } from 'knex'

/** Relying parties (government service systems). The secret is sealed, never hashed per request. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 64).primary()
    t.string('name', 200).notNullable()
    t.text('metadata').notNullable()
    t.text('secret_sealed')
    t.string('division_code', 12)
    t.enu('status', ['onboarding', 'active', 'suspended'], { useNative: false, enumName: 'client_status' })
      .notNullable()
      .defaultTo('active')
    t.bigInteger('created_at').notNullable()
    t.bigInteger('updated_at').notNullable()
    t.index(['division_code'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('clients')
}
