import type { Knex } from 'knex'

/**
 * When the person last signed out everywhere (or an administrator ended all their sessions), in
 * epoch ms. A session or token authenticated at or before that second is refused when used
 * (src/shared/sessions-cutoff.ts): ending sessions deletes the rows it finds, and this catches
 * what a request already in flight writes back afterwards (a session saved again at the end of a
 * sign-in, the code that sign-in issued).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.bigInteger('sessions_not_before')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.dropColumn('sessions_not_before')
  })
}
