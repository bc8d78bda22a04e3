import type { Knex } from 'knex'

/** One table for every oidc-provider model; times are epoch milliseconds. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('type', 40).notNullable()
    t.string('id', 255).notNullable()
    t.text('payload').notNullable()
    t.string('grant_id', 255)
    t.string('user_code', 255)
    t.string('uid', 255)
    t.bigInteger('expires_at')
    t.bigInteger('consumed_at')
    t.primary(['type', 'id'])
    t.index(['grant_id'])
    t.index(['uid'])
    t.index(['user_code'])
    t.index(['expires_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oidc_payloads')
}
