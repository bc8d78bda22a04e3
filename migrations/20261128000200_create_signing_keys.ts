import type { Knex } from 'knex'

/** Signing keys: public JWK in clear, private JWK sealed with the key-encryption key. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary()
    t.string('alg', 16).notNullable()
    t.enu('state', ['next', 'active', 'retired'], { useNative: false, enumName: 'signing_key_state' }).notNullable()
    t.text('public_jwk').notNullable()
    t.text('private_jwk_sealed').notNullable()
    t.bigInteger('created_at').notNullable()
    t.bigInteger('activated_at')
    t.bigInteger('retired_at')
    /** After this a retired key leaves the JWKS: nothing it signed is still valid. */
    t.bigInteger('expires_at')
    t.index(['state'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signing_keys')
}
