/* Every migration has a working down: latest -> rollback all -> latest, on the suite's database. */
import assert from 'node:assert/strict'
import { createServices } from '../../src/app.js'
import { MIGRATIONS_DIR, migrateLatest, migrateRollbackAll, type Db } from '../../src/store/db.js'
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

  it('keeps the audit trail, still verifying, through the rebuild that makes seq the key (down and up)', async () => {
    await migrateLatest(env.db)
    const { audit } = createServices(testConfig(env.database, 3000), env.db)
    for (let n = 1; n <= 5; n += 1) {
      await audit.record({ type: 'admin.client.updated', actor: { type: 'admin', id: `admin${n}`, ip: '127.0.0.1' }, divisionCode: '230102', target: { type: 'client', id: `c${n}` }, details: { n } })
    }
    const before = await auditRows(env.db)
    assert.ok(before.length >= 5)
    const options = { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'], name: AUDIT_REBUILD }

    await env.db.migrate.down(options)
    assert.deepEqual(await auditRows(env.db), before, 'every record kept, unchanged, by the down migration')
    assert.equal((await audit.verify()).ok, true)
    assert.equal(await hasUniqueIdIndex(env.db), true, 'down restores the unique index on id')

    await env.db.migrate.up(options)
    assert.deepEqual(await auditRows(env.db), before, 'every record kept, unchanged, by the up migration')
    assert.equal((await audit.verify()).ok, true)
    assert.equal(await hasUniqueIdIndex(env.db), false)
    if (testDbKind() === 'sqlite') {
      // SQLite's rule for a rowid alias: the only primary-key column, declared exactly INTEGER.
      const columns: { name: string; type: string; pk: number }[] = await env.db.raw("select name, type, pk from pragma_table_info('audit_events') where pk > 0")
      assert.deepEqual(columns.map((c) => [c.name, c.type.toLowerCase()]), [['seq', 'integer']], 'seq is the rowid on SQLite')
    }
    // Appends go on after the rebuild, linked to the records from before it.
    await audit.record({ type: 'admin.client.updated', actor: { type: 'admin', id: 'admin6', ip: '127.0.0.1' }, divisionCode: '230102', target: { type: 'client', id: 'c6' }, details: { n: 6 } })
    const after = await audit.verify()
    assert.deepEqual([after.ok, after.checked], [true, before.length + 1])
  })
})

const AUDIT_REBUILD = '20261129000200_audit_seq_as_rowid.ts'

async function auditRows(db: Db): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = await db('audit_events').orderBy('seq')
  return rows.map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at) }))
}

async function hasUniqueIdIndex(db: Db): Promise<boolean> {
  if (testDbKind() === 'pg') {
    const { rows } = await db.raw("select indexdef from pg_indexes where schemaname = current_schema() and tablename = 'audit_events'")
    return rows.some((r: { indexdef: string }) => /UNIQUE INDEX .* \(id\)/.test(r.indexdef))
  }
  const indexes: { name: string; unique: number }[] = await db.raw("select name, \"unique\" from pragma_index_list('audit_events')")
  for (const index of indexes.filter((i) => Number(i.unique) === 1)) {
    const columns: { name: string }[] = await db.raw('select name from pragma_index_info(?)', [index.name])
    if (columns.length === 1 && columns[0].name === 'id') return true
  }
  return false
}
