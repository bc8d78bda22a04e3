import type { Knex } from 'knex'

/** One row per back-channel logout token sent to a portal: what was sent and how it went. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('logout_deliveries', (t) => {
    t.increments('id').primary()
    t.string('client_id', 64).notNullable()
    t.string('sid', 255)
    t.string('account_id', 64)
    t.enu('status', ['delivered', 'failed'], { useNative: false, enumName: 'logout_delivery_status' }).notNullable()
    t.string('error', 500)
    t.bigInteger('created_at').notNullable()
    t.index(['client_id', 'created_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('logout_deliveries')
}
