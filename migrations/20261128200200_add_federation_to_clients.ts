import type { Knex } from 'knex'

/**
 * Federation attributes of a relying party (government service system). oidc-provider's own
 * fields (scope allow-list, default_acr_values, subject_type) stay in clients.metadata.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.text('portal_url')
    // Pairwise sub sector; null = the client is its own sector.
    t.string('sector', 64)
    t.smallint('required_assurance_level').notNullable().defaultTo(1)
    t.enu('consent_policy', ['explicit', 'implicit'], { useNative: false, enumName: 'client_consent_policy' })
      .notNullable()
      .defaultTo('explicit')
    // Who manages the row: the federation manifest (sync may suspend it), onboarding, or by hand.
    t.enu('source', ['manual', 'manifest', 'onboard'], { useNative: false, enumName: 'client_source' })
      .notNullable()
      .defaultTo('manual')
    t.index(['source'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.dropIndex(['source'])
    t.dropColumn('source')
    t.dropColumn('consent_policy')
    t.dropColumn('required_assurance_level')
    t.dropColumn('sector')
    t.dropColumn('portal_url')
  })
}
