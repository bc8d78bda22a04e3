/* A bare test database for tests that work below the server (migrations, the CLI as a subprocess). */
import { createDb, type Db } from '../../src/store/db.js'
import { createTestDatabase, testConfig, type TestDatabase } from './onedoor.js'

export interface TestDb {
  /** The fresh SQLite file or PostgreSQL schema, with the env a CLI subprocess needs to reach it. */
  database: TestDatabase
  /** A knex handle on it; nothing is migrated yet. */
  db: Db
}

/** For the enclosing `describe`: a fresh empty database, dropped after the block. Set once `before` has run. */
export function useTestDb(): TestDb {
  const env = {} as TestDb
  before(() => {
    env.database = createTestDatabase()
    env.db = createDb(testConfig(env.database, 3000).db)
  })
  after(async () => {
    await env.db?.destroy()
    await env.database?.drop()
  })
  return env
}
