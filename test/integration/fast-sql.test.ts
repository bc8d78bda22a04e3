/*
 * The hot-path statements (src/store/fast-sql.ts). Threat: on SQLite, writes of concurrent
 * requests are group-committed in one transaction; one failing write must neither take the
 * others with it nor leave half of its own work behind, and nothing may be acknowledged that
 * is not committed (issue 2, Storage).
 */
import assert from 'node:assert/strict'
import { createFastSql, statement } from '../../src/store/fast-sql.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { createTestDatabase, testConfig, testDbKind, type TestDatabase } from '../helpers/onedoor.js'

const INSERT = statement('test_insert_payload', "insert into oidc_payloads (type, id, payload) values ('Test', ?, '{}')")
const COUNT = statement('test_count_payloads', "select count(*) as n from oidc_payloads where type = 'Test'")

describe('fast-sql statements', () => {
  let database: TestDatabase
  let db: Db

  beforeEach(async () => {
    database = createTestDatabase()
    db = createDb(testConfig(database, 3000).db)
    await migrateLatest(db)
  })
  afterEach(async () => {
    await db?.destroy()
    await database?.drop()
  })

  // SQLite only (a file format setting); declared only on the SQLite run.
  if (testDbKind() === 'sqlite') {
    it('creates SQLite databases with 2 KiB pages in WAL mode (smaller commits)', async () => {
      const [pageSize] = (await db.raw('pragma page_size')) as { page_size: number }[]
      const [journal] = (await db.raw('pragma journal_mode')) as { journal_mode: string }[]
      assert.equal(pageSize.page_size, 2048)
      assert.equal(journal.journal_mode, 'wal')
    })
  }

  it('commits concurrent writes, refuses only the one that fails, and reports rows changed', async () => {
    const sql = createFastSql(db)
    const results = await Promise.allSettled([sql.run(INSERT, ['a']), sql.run(INSERT, ['b']), sql.run(INSERT, ['a']), sql.run(INSERT, ['c'])])
    // On PostgreSQL concurrent statements run on several connections: either 'a' may be the duplicate.
    assert.deepEqual([results[1], results[3]].map((r) => r.status), ['fulfilled', 'fulfilled'])
    const both = [results[0], results[2]]
    const refused = both.filter((r) => r.status === 'rejected')
    const accepted = both.filter((r) => r.status === 'fulfilled')
    assert.equal(refused.length, 1)
    assert.equal((accepted[0] as PromiseFulfilledResult<number>).value, 1)
    assert.match(String((refused[0] as PromiseRejectedResult).reason), /UNIQUE|unique|duplicate/)
    assert.deepEqual((await db('oidc_payloads').where({ type: 'Test' }).orderBy('id').pluck('id')), ['a', 'b', 'c'])
    assert.equal(Number((await sql.rows(COUNT, []))[0].n), 3)
  })

  // SQLite only: on PostgreSQL multi-statement work goes through knex transactions instead.
  if (testDbKind() === 'sqlite') it('applies a multi-statement SQLite transaction whole or not at all, beside other writes', async function () {
    const sql = createFastSql(db)
    const results = await Promise.allSettled([
      sql.sqliteTransaction((s) => s.run(INSERT, ['x']) + s.run(INSERT, ['y'])),
      sql.sqliteTransaction((s) => {
        s.run(INSERT, ['z'])
        return s.run(INSERT, ['x']) // duplicate: the whole work, z included, must vanish
      }),
      sql.run(INSERT, ['w']),
    ])
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
    assert.equal((results[0] as PromiseFulfilledResult<number>).value, 2)
    assert.deepEqual(await db('oidc_payloads').where({ type: 'Test' }).orderBy('id').pluck('id'), ['w', 'x', 'y'])
  })
})
