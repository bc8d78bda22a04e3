import type { Knex } from 'knex'

/**
 * Real-name assurance evidence: every level a person reached, with the method, when and by
 * whom (staff member for counter verification, the verification service otherwise).
 * persons.assurance_level stays the current level; this table is its history and proof.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('assurance_evidence', (t) => {
    t.string('id', 32).primary()
    t.string('person_id', 32).notNullable().index()
    t.smallint('level').notNullable()
    t.string('method', 40).notNullable()
    t.string('verified_by', 200).notNullable()
    t.string('reference', 200)
    t.bigInteger('verified_at').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('assurance_evidence')
}
