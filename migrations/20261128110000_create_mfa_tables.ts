import type { Knex } from 'knex'

/**
 * Second factor. totp_credentials: one confirmed TOTP authenticator per person, the secret sealed
 * (pending enrolments live in the interaction, not here). totp_used_steps: each accepted time
 * step once per person (primary key = the replay guard, atomic on both dialects).
 * recovery_codes: hashed single-use codes. mfa_attempts: wrong codes per sign-in (interaction).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('totp_credentials', (t) => {
    t.string('person_id', 32).primary()
    t.text('secret_sealed').notNullable()
    t.bigInteger('confirmed_at').notNullable()
    t.bigInteger('last_used_at')
  })
  await knex.schema.createTable('totp_used_steps', (t) => {
    t.string('person_id', 32).notNullable()
    t.bigInteger('step').notNullable()
    t.bigInteger('used_at').notNullable()
    t.primary(['person_id', 'step'])
  })
  await knex.schema.createTable('recovery_codes', (t) => {
    t.string('person_id', 32).notNullable()
    t.string('code_hash', 64).notNullable()
    t.bigInteger('created_at').notNullable()
    t.bigInteger('used_at')
    t.primary(['person_id', 'code_hash'])
  })
  await knex.schema.createTable('mfa_attempts', (t) => {
    t.string('attempt_key', 64).primary()
    t.integer('failures').notNullable().defaultTo(0)
    t.bigInteger('expires_at').notNullable().index()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mfa_attempts')
  await knex.schema.dropTable('recovery_codes')
  await knex.schema.dropTable('totp_used_steps')
  await knex.schema.dropTable('totp_credentials')
}
