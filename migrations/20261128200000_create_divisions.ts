import type { Knex } from 'knex'

/**
 * Administrative divisions (GB/T 2260 codes) of Heilongjiang and the code changes since 2010.
 * Reference data, loaded by the next migration; the tree is parent_code links (province →
 * prefecture → county). non_standard marks NBS statistical-only units that are not MCA divisions.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('divisions', (t) => {
    t.string('code', 6).primary()
    t.string('name', 100).notNullable()
    t.string('en', 200).notNullable()
    t.enu('level', ['province', 'prefecture', 'county'], { useNative: false, enumName: 'division_level' }).notNullable()
    t.string('parent_code', 6).references('code').inTable('divisions')
    t.string('kind', 40).notNullable()
    t.boolean('non_standard').notNullable().defaultTo(false)
    t.index(['parent_code'])
  })
  await knex.schema.createTable('division_code_changes', (t) => {
    t.string('old_code', 6).notNullable()
    t.string('new_code', 6).notNullable()
    t.string('old_name', 100).notNullable()
    t.smallint('year').notNullable()
    t.primary(['old_code', 'new_code'])
    t.index(['new_code'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('division_code_changes')
  await knex.schema.dropTable('divisions')
}
