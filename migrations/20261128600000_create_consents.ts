import type { Knex } from 'knex'

/**
 * Remembered consent: what a person allowed a portal (OIDC scopes and claims), kept across
 * sessions so that a returning resident is not asked again until they revoke it in the account
 * centre. One row per person and portal; the grants made from it stay in oidc_payloads.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('consents', (t) => {
    t.string('person_id', 32).notNullable()
    t.string('client_id', 64).notNullable()
    t.text('scope').notNullable()
    t.text('claims').notNullable()
    t.bigInteger('granted_at').notNullable()
    t.bigInteger('updated_at').notNullable()
    t.primary(['person_id', 'client_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('consents')
}
