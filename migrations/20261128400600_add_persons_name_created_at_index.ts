import type { Knex } from 'knex'

/**
 * Administrators search persons by exact full name (besides ID number and phone, which have
 * unique indexes already), oldest first, 200 at most. Without an index that search reads the
 * whole table (seconds at ten million accounts); with (name, created_at) it reads only the rows
 * it returns, even for a name ten thousand people share. Found by the accounts-size benchmark.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.index(['name', 'created_at'], 'persons_name_created_at_index')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('persons', (t) => {
    t.dropIndex(['name', 'created_at'], 'persons_name_created_at_index')
  })
}
