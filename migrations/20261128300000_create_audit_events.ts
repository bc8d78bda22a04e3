import type { Knex } from 'knex'

/**
 * The audit trail: append-only rows chained by SHA-256 (each hash covers the row and the
 * previous row's hash), the chain head (last seq and hash, updated in the same transaction as
 * each append, so deleting the newest rows is noticed too), and the anchors left by archival.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigInteger('seq').primary()
    t.string('id', 32).notNullable().unique()
    t.bigInteger('at').notNullable()
    t.string('type', 80).notNullable()
    t.string('actor_type', 16).notNullable()
    t.string('actor_id', 64)
    t.string('client_id', 64)
    t.string('ip', 64)
    t.string('user_agent', 300)
    t.string('division_code', 12)
    t.string('target_type', 32)
    t.string('target_id', 128)
    t.string('result', 8).notNullable()
    t.string('error_code', 80)
    t.text('details').notNullable()
    t.string('prev_hash', 64).notNullable()
    t.string('hash', 64).notNullable()
    t.index(['at'])
    t.index(['type', 'at'])
    t.index(['division_code', 'at'])
  })
  await knex.schema.createTable('audit_chain_head', (t) => {
    t.integer('id').primary()
    t.bigInteger('seq').notNullable()
    t.string('hash', 64).notNullable()
  })
  await knex.schema.createTable('audit_archives', (t) => {
    t.increments('id').primary()
    t.bigInteger('archived_at').notNullable()
    t.bigInteger('before_at').notNullable()
    t.bigInteger('through_seq').notNullable()
    t.string('last_hash', 64).notNullable()
    t.integer('count').notNullable()
    t.string('file_sha256', 64).notNullable()
    t.string('file', 500).notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_archives')
  await knex.schema.dropTable('audit_chain_head')
  await knex.schema.dropTable('audit_events')
}
