/* Every migration has a working down: latest -> rollback all -> latest, on the suite's database. */
import assert from 'node:assert/strict'
import { createServices } from '../../src/app.js'
import { migrateLatest, migrateRollbackAll, type Db } from '../../src/store/db.js'
import { useTestDb } from '../helpers/database.js'
import { testConfig, testDbKind } from '../helpers/onedoor.js'

const FOUNDATION_TABLES = ['oidc_payloads', 'signing_keys', 'clients', 'persons', 'logout_deliveries']

async function tables(db: Db): Promise<string[]> {
  const rows: { name: string }[] =
    testDbKind() === 'pg'
      ? (await db.raw("select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'")).rows
      : await db.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
  return rows.map((r) => r.name).filter((name) => !name.startsWith('knex_migrations')).sort()
}

describe(`migrations on ${testDbKind() === 'pg' ? 'PostgreSQL' : 'SQLite'}`, () => {
  const env = useTestDb()

  it('applies every migration, rolls all of them back, and applies them again', async () => {
    const applied = await migrateLatest(env.db)
    assert.ok(applied.length >= FOUNDATION_TABLES.length)
    const created = await tables(env.db)
    for (const table of FOUNDATION_TABLES) assert.ok(created.includes(table), `${table} created`)

    const rolledBack = await migrateRollbackAll(env.db)
    assert.equal(rolledBack.length, applied.length, 'every migration rolled back')
    assert.deepEqual(await tables(env.db), [], 'nothing left behind by the down migrations')

    const reapplied = await migrateLatest(env.db)
    assert.deepEqual(reapplied, applied)
    assert.deepEqual(await tables(env.db), created)
  })

  it('leaves a schema the application works on', async () => {
    const config = testConfig(env.database, 3000)
    const services = createServices(config, env.db)
    assert.ok((await services.keySet.ensureKeys()) > 0)
    const person = await services.persons.registerPerson({ name: '王五', idNumber: '11010519491231002X', phone: '13912345678', password: 'a long enough password' })
    assert.equal((await services.persons.findPerson(person.id))?.name, '王五')
    assert.deepEqual(await migrateLatest(env.db), [], 'nothing pending')
  })
})
