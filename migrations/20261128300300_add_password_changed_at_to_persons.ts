import type { Knex } from 'knex'

/**
 * When a person's password was last set, and the strictest password policy it met at that time
 * ('admin' = the administrators' 15+ policy, else 'person'). The administrator console uses both
 * for periodic change (等保 level 3: admin.passwordMaxAgeDays): a password older than the period,
 * or one that met only the resident policy, must be changed before the console opens.
 * Existing rows are backfilled with their creation time, the last moment a password is known to
 * have been set, and 'person' (nothing proves the stricter policy was met): an administrator
 * whose account is older than the period changes the password at the next console sign-in.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.bigInteger('password_changed_at')
    t.string('password_policy', 8).notNullable().defaultTo('person')
  })
  await knex('persons').whereNot('password_hash', '').update({ password_changed_at: knex.ref('created_at') })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.dropColumn('password_policy')
    t.dropColumn('password_changed_at')
  })
}
