/* Shared set-up of the federation tests: a migrated database with the services on it. */
import { createServices } from '../../src/app.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { createTestDatabase, testConfig, type TestDatabase } from '../helpers/onedoor.js'

export interface FederationFixture {
  database: TestDatabase
  db: Db
  services: ReturnType<typeof createServices>
  config: ReturnType<typeof testConfig>
  close(): Promise<void>
}

export async function federationFixture(overrides: Record<string, unknown> = {}): Promise<FederationFixture> {
  const database = createTestDatabase()
  const config = testConfig(database, 3999, overrides)
  const db = createDb(config.db)
  await migrateLatest(db)
  return {
    database,
    db,
    config,
    services: createServices(config, db),
    async close() {
      await db.destroy()
      await database.drop()
    },
  }
}
