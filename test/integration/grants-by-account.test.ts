/*
 * A person's grants are found through the account_id column (store/account-sessions.ts), not by
 * matching every grant's JSON: the adapter fills it for new grants and the migration
 * 20261129000100 for grants issued before it.
 */
import assert from 'node:assert/strict'
import { MIGRATIONS_DIR } from '../../src/store/db.js'
import { signIn, useSignInServer } from '../helpers/sign-in.js'

const REDIRECT_URI = 'http://127.0.0.1:9/grants/callback'
const MIGRATION = { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'], name: '20261129000100_add_account_id_to_grants.ts' }

describe('grants by account', () => {
  const env = useSignInServer(REDIRECT_URI)

  it('lists the grants of the person signing in, and only theirs', async () => {
    const other = await env.server.addPerson()
    await signIn(env.server, env.client, env.person, { redirectUri: REDIRECT_URI })
    await signIn(env.server, env.client, other, { redirectUri: REDIRECT_URI })
    const grants = await env.server.onedoor.services.accountSessions.listGrants(env.person.id)
    assert.equal(grants.length, 1)
    assert.equal(grants[0].clientId, env.client.clientId)
    assert.equal(grants[0].accountId, env.person.id)
  })

  it('fills the column of grants issued before the migration', async () => {
    const person = await env.server.addPerson()
    await signIn(env.server, env.client, person, { redirectUri: REDIRECT_URI })
    const db = env.server.onedoor.db
    await db.migrate.down(MIGRATION)
    assert.deepEqual(await env.server.onedoor.services.accountSessions.listGrants(person.id), [], 'without the column the grant is not found')
    await db.migrate.up(MIGRATION)
    const [grant] = await env.server.onedoor.services.accountSessions.listGrants(person.id)
    assert.equal(grant?.accountId, person.id)
    const row = await db('oidc_payloads').where({ type: 'Grant', id: grant.id }).first()
    assert.equal(row.account_id, person.id)
  })
})
