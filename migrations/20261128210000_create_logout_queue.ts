import type { Knex } from 'knex'

/**
 * Outstanding back-channel logout deliveries, one row per (logout, portal). A row is written
 * before the first attempt (so a crash cannot lose it) and carries its own lease: the retry
 * job only claims rows whose next_attempt_at has passed. Times are epoch milliseconds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('logout_queue', (t) => {
    t.string('id', 32).primary()
    t.string('client_id', 64).notNullable()
    t.string('account_id', 64).notNullable()
    t.string('sid', 255)
    t.string('reason', 32).notNullable()
    t.enu('status', ['pending', 'delivered', 'abandoned'], { useNative: false, enumName: 'logout_queue_status' }).notNullable()
    t.integer('attempts').notNullable().defaultTo(0)
    t.bigInteger('next_attempt_at').notNullable()
    t.string('last_error', 500)
    t.bigInteger('created_at').notNullable()
    t.bigInteger('updated_at').notNullable()
    t.bigInteger('delivered_at')
    t.index(['status', 'next_attempt_at'])
    t.index(['client_id', 'status'])
    t.index(['account_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('logout_queue')
}
