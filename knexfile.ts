/*
 * knex CLI configuration, built from the same loader as the server, so `npx knex` and
 * `onedoor migrate` read one configuration. Prefer `npm run migrate` (see README).
 */
import { loadConfig } from './src/config/index.js'
import { MIGRATIONS_DIR, sqliteFilename } from './src/store/db.js'

const config = loadConfig()

export default {
  client: config.db.client,
  connection: config.db.client === 'pg' ? config.db.url : { filename: sqliteFilename(config.db.url) },
  searchPath: config.db.schema ? [config.db.schema] : undefined,
  useNullAsDefault: true,
  migrations: { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'] },
}
