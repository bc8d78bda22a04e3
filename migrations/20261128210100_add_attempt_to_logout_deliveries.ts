import type { Knex } from 'knex'

/** Each logout_deliveries row becomes one attempt of a queued delivery: which one, and how long it took. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('logout_deliveries', (t) => {
    t.string('queue_id', 32)
    t.integer('attempt')
    t.integer('duration_ms')
    t.index(['queue_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('logout_deliveries', (t) => {
    t.dropIndex(['queue_id'])
    t.dropColumn('duration_ms')
    t.dropColumn('attempt')
    t.dropColumn('queue_id')
  })
}
