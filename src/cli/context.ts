import { createServices } from '../app.js'
import { loadConfig, type Config } from '../config/index.js'
import { createDb, migrateLatest } from '../store/db.js'

export type Services = ReturnType<typeof createServices> & { config: Config }

/** Opens the database from configuration, applies pending migrations, makes sure signing keys exist, runs `work`, closes. */
export async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const db = createDb(config.db)
  try {
    await migrateLatest(db)
    const services = createServices(config, db)
    // As the server does on start: client registration validates metadata against the signing
    // keys, so `client add` on a database no server has opened yet needs them too.
    await services.keySet.ensureKeys()
    return await work({ ...services, config })
  } finally {
    await db.destroy()
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}
