import type { Knex } from 'knex'

/**
 * Rollups behind the admin dashboard, so that a page view reads a few hundred rows instead of
 * every person and every audit event (seconds at 10^6–10^7 accounts; issue 6).
 * - dashboard_event_days: audit events per CST day × type × division × client, folded in by
 *   audit `seq` (appends commit in seq order, so "everything up to rollup_state.audit_seq" is exact);
 *   the dashboard adds the few newer events live, so these counts are never stale.
 * - dashboard_person_counts / dashboard_registration_days: persons by home division (recorded,
 *   else the prefecture of the ID number's area code), assurance level and second factor, and
 *   registrations per day; recomputed by a periodic job, shown "as of" persons_as_of.
 * The first refresh (at start-up, or the first dashboard view) fills them from existing rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dashboard_event_days', (t) => {
    t.string('type', 80).notNullable()
    t.integer('day').notNullable()
    t.string('division_code', 12).notNullable()
    t.string('client_id', 64).notNullable()
    t.bigInteger('n').notNullable()
    t.primary(['type', 'day', 'division_code', 'client_id'])
  })
  await knex.schema.createTable('dashboard_person_counts', (t) => {
    t.string('division_code', 12).notNullable()
    t.string('id_prefecture', 4).notNullable()
    t.smallint('assurance_level').notNullable()
    t.smallint('mfa_enrolled').notNullable()
    t.bigInteger('n').notNullable()
    t.primary(['division_code', 'id_prefecture', 'assurance_level', 'mfa_enrolled'])
  })
  await knex.schema.createTable('dashboard_registration_days', (t) => {
    t.integer('day').notNullable()
    t.string('division_code', 12).notNullable()
    t.string('id_prefecture', 4).notNullable()
    t.bigInteger('n').notNullable()
    t.primary(['day', 'division_code', 'id_prefecture'])
  })
  await knex.schema.createTable('dashboard_rollup_state', (t) => {
    t.integer('id').primary()
    t.bigInteger('audit_seq').notNullable()
    /** Epoch ms of the last persons refresh; 0 = never. */
    t.bigInteger('persons_as_of').notNullable()
  })
  await knex('dashboard_rollup_state').insert({ id: 1, audit_seq: 0, persons_as_of: 0 })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dashboard_rollup_state')
  await knex.schema.dropTable('dashboard_registration_days')
  await knex.schema.dropTable('dashboard_person_counts')
  await knex.schema.dropTable('dashboard_event_days')
}
