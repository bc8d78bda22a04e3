import type { Knex } from 'knex'

/**
 * Administrators: a natural-person account holding one role over one division (and below).
 * The stricter admin password policy keeps its own counters here; console sessions are rows
 * so that the 15-minute idle timeout holds across server processes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admins', (t) => {
    t.string('id', 32).primary()
    t.string('person_id', 32).notNullable()
    t.string('role', 24).notNullable()
    t.string('division_code', 12).notNullable()
    t.string('created_by', 32)
    t.bigInteger('created_at').notNullable()
    t.bigInteger('disabled_at')
    t.integer('failed_sign_ins').notNullable().defaultTo(0)
    t.bigInteger('locked_until')
    t.bigInteger('password_changed_at')
    t.unique(['person_id', 'role', 'division_code'])
    t.index(['person_id'])
  })
  await knex.schema.createTable('admin_sessions', (t) => {
    t.string('id', 64).primary()
    t.string('person_id', 32).notNullable()
    t.string('acr', 64)
    t.bigInteger('created_at').notNullable()
    t.bigInteger('last_seen_at').notNullable()
    t.bigInteger('ended_at')
  })
  // A person's home division for administrative scope; absent = the area code of the ID number.
  await knex.schema.createTable('person_divisions', (t) => {
    t.string('person_id', 32).primary()
    t.string('division_code', 12).notNullable().index()
    t.string('set_by', 32)
    t.bigInteger('set_at').notNullable()
  })
  // Counter verifications: who raised whose assurance level, on what evidence.
  await knex.schema.createTable('person_verifications', (t) => {
    t.string('id', 32).primary()
    t.string('person_id', 32).notNullable().index()
    t.smallint('level').notNullable()
    t.string('method', 32).notNullable()
    t.string('evidence', 500).notNullable()
    t.string('verified_by', 32).notNullable()
    t.string('division_code', 12).notNullable()
    t.bigInteger('verified_at').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('person_verifications')
  await knex.schema.dropTable('person_divisions')
  await knex.schema.dropTable('admin_sessions')
  await knex.schema.dropTable('admins')
}
