import type { Knex } from 'knex'

/**
 * Legal persons and who may act for them. enterprises: keyed by the unified social credit code,
 * with the legal representative (a natural person). mandates: the legal representative's grant
 * to an agent, for all matters (client_ids null) or listed service systems, until a date,
 * revocable. acting_grants: which enterprise an oidc-provider grant acts for (one grant per
 * person, client and subject), so a token made for "self" never turns into an enterprise token.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('enterprises', (t) => {
    t.string('id', 32).primary()
    t.string('uscc', 18).notNullable().unique()
    t.string('name', 200).notNullable()
    t.string('kind', 40).notNullable()
    t.string('legal_representative_id', 32).notNullable().index()
    t.bigInteger('created_at').notNullable()
    t.bigInteger('updated_at').notNullable()
  })
  await knex.schema.createTable('mandates', (t) => {
    t.string('id', 32).primary()
    t.string('enterprise_id', 32).notNullable().references('id').inTable('enterprises')
    t.string('agent_id', 32).notNullable().index()
    t.text('client_ids')
    t.bigInteger('valid_until')
    t.string('granted_by', 32).notNullable()
    t.bigInteger('created_at').notNullable()
    t.bigInteger('revoked_at')
    t.string('revoked_by', 32)
    t.index(['enterprise_id'])
  })
  await knex.schema.createTable('acting_grants', (t) => {
    t.string('grant_id', 64).primary()
    t.string('person_id', 32).notNullable()
    t.string('client_id', 64).notNullable()
    t.string('enterprise_id', 32)
    t.bigInteger('created_at').notNullable()
    t.index(['person_id', 'client_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('acting_grants')
  await knex.schema.dropTable('mandates')
  await knex.schema.dropTable('enterprises')
}
