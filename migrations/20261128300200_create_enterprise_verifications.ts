import type { Knex } from 'knex'

/**
 * Legal persons checked by administrators: who verified an enterprise (licence seen at a counter,
 * registry lookup), on what evidence, and changes of legal representative made on that basis.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('enterprise_verifications', (t) => {
    t.string('id', 32).primary()
    t.string('enterprise_id', 32).notNullable().index()
    t.string('kind', 24).notNullable()
    t.string('evidence', 500).notNullable()
    t.string('verified_by', 32).notNullable()
    t.string('division_code', 12).notNullable()
    t.bigInteger('verified_at').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('enterprise_verifications')
}
