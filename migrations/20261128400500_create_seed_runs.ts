import type { Knex } from 'knex'

/**
 * Runs of `onedoor seed` (synthetic accounts for trials and benchmarks). Each run reserves a
 * range of person and enterprise numbers (synthetic ID numbers, phones and credit codes are
 * derived from them, so runs never collide) and counts what each committed batch wrote, in the
 * batch's own transaction: after an interruption the row says exactly what is in the database.
 * The table also tells an operator that a database holds synthetic accounts at all.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('seed_runs', (t) => {
    t.string('id', 32).primary()
    t.bigInteger('seed').notNullable()
    t.bigInteger('first_person').notNullable().unique()
    t.bigInteger('persons').notNullable()
    t.bigInteger('first_enterprise').notNullable()
    t.bigInteger('enterprises').notNullable()
    t.bigInteger('persons_written').notNullable().defaultTo(0)
    t.bigInteger('enterprises_written').notNullable().defaultTo(0)
    t.bigInteger('skipped').notNullable().defaultTo(0)
    t.bigInteger('started_at').notNullable()
    t.bigInteger('finished_at')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('seed_runs')
}
