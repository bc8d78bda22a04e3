import type { Knex } from 'knex'

/**
 * The `log` SMS driver's outbox: what would have been sent, for development and tests. Production
 * uses the `http` driver and leaves this table empty.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sms_outbox', (t) => {
    t.string('id', 32).primary()
    t.string('phone', 20).notNullable()
    t.string('template', 40).notNullable()
    t.text('params').notNullable()
    t.bigInteger('created_at').notNullable()
    t.index(['phone', 'created_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sms_outbox')
}
