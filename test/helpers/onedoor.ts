/*
 * Starts a real OneDoor on 127.0.0.1 (random port) over a fresh database: a temporary SQLite
 * file, or a fresh PostgreSQL schema when the suite runs on PostgreSQL (ONEDOOR_TEST_DB=pg).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/index.js'
import { createDb } from '../../src/store/db.js'
import { registerClient, type RegisterClientInput } from '../../src/oidc/index.js'
import { freePort } from '../../src/shared/free-port.js'

export const TEST_SECRETS = {
  ONEDOOR_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  ONEDOOR_COOKIE_KEYS: 'test-cookie-key-0123456789abcdefghijklmnop',
  ONEDOOR_PII_ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('base64'),
  ONEDOOR_PII_BLIND_INDEX_KEY: Buffer.alloc(32, 3).toString('base64'),
}

export const testDbKind = (): 'sqlite' | 'pg' => (process.env.ONEDOOR_TEST_DB === 'pg' ? 'pg' : 'sqlite')
export const pgUrl = () => process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test'

export interface TestDatabase {
  /** Environment that points OneDoor (server or CLI) at this database. */
  env: Record<string, string>
  dataDir: string
  drop(): Promise<void>
}

/** A fresh, empty database of the kind the suite runs on. */
export function createTestDatabase(): TestDatabase {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'onedoor-test-'))
  if (testDbKind() === 'pg') {
    const schema = `t_${randomBytes(6).toString('hex')}`
    return {
      env: { DATABASE_URL: pgUrl(), ONEDOOR_DB_SCHEMA: schema, ONEDOOR_DATA_DIR: dataDir },
      dataDir,
      async drop() {
        const db = createDb({ client: 'pg', url: pgUrl(), poolMax: 1, sqliteSynchronous: 'NORMAL' })
        await db.raw('drop schema if exists ?? cascade', [schema])
        await db.destroy()
        rmSync(dataDir, { recursive: true, force: true })
      },
    }
  }
  return {
    env: { DATABASE_URL: path.join(dataDir, 'onedoor.sqlite'), ONEDOOR_DATA_DIR: dataDir },
    dataDir,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export { freePort }

export function testConfig(database: TestDatabase, port: number, overrides: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: { NODE_ENV: 'test', ...TEST_SECRETS, ...database.env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, ONEDOOR_LOG_LEVEL: process.env.ONEDOOR_TEST_LOG_LEVEL ?? 'silent' },
    overrides,
  })
}

export interface TestServer {
  url: string
  port: number
  config: Config
  onedoor: OneDoor
  database: TestDatabase
  addPerson(input?: Partial<{ name: string; idNumber: string; phone: string; password: string }>): Promise<{ id: string; idNumber: string; phone: string; password: string; name: string }>
  addClient(input: Partial<RegisterClientInput> & { redirectUris: string[] }): Promise<{ clientId: string; clientSecret?: string }>
  close(): Promise<void>
}

export async function startOneDoor(options: { overrides?: Record<string, unknown>; database?: TestDatabase } = {}): Promise<TestServer> {
  const database = options.database ?? createTestDatabase()
  const port = await freePort()
  const config = testConfig(database, port, options.overrides)
  const onedoor = await createOneDoor(config)
  await onedoor.listen(port, '127.0.0.1')
  return {
    url: config.issuer,
    port,
    config,
    onedoor,
    database,
    async addPerson(input = {}) {
      const person = { name: input.name ?? '张三', idNumber: input.idNumber ?? randomIdNumber(), phone: input.phone ?? randomPhone(), password: input.password ?? 'correct horse battery staple' }
      const created = await onedoor.services.persons.registerPerson(person)
      return { ...person, id: created.id }
    },
    async addClient(input) {
      const registered = await registerClient(
        { config, clients: onedoor.services.clients, loadJwks: onedoor.services.keySet.loadSigningJwks },
        { name: 'Test portal', ...input },
      )
      return { clientId: registered.clientId, clientSecret: registered.clientSecret }
    },
    async close() {
      await onedoor.close(2000)
      if (!options.database) await database.drop()
    },
  }
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** A valid resident ID number (Harbin Daoli district area code, random birth date and sequence). */
export function randomIdNumber(area = '230102'): string {
  const year = 1950 + Math.floor(Math.random() * 50)
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0')
  const first17 = `${area}${year}${month}${day}${seq}`
  const sum = [...first17].reduce((acc, ch, i) => acc + Number(ch) * WEIGHTS[i], 0)
  return first17 + '10X98765432'[sum % 11]
}

export function randomPhone(): string {
  return `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`
}

/** A stream for a test's pino logger that keeps each JSON line it is given. */
export function logLineSink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
}
