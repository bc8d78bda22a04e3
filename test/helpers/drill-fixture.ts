/*
 * The data a fault drill starts from (issue 6), written straight into the PostgreSQL schema the
 * OneDoor processes under test share: migrated, signing keys made, residents, a machine client
 * (client_credentials), portals (code flow) and one queued logout delivery leased far in the
 * future, so every kind of row the drills count exists before the fault.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createServices } from '../../src/app.js'
import { freePort, spawnNode, type NodeProcess } from '../../src/cluster/index.js'
import { loadConfig, type Config } from '../../src/config/index.js'
import { registerClient, type RegisterClientInput } from '../../src/oidc/index.js'
import { createLogoutQueueStore } from '../../src/store/logout-queue.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { randomIdNumber, randomPhone, TEST_SECRETS } from './onedoor.js'
import { isPrivatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from './private-postgres.js'
import { discover, oidc, signInThroughPages, startAuthorization } from './relying-party.js'
import type { TestClient, TestPerson } from './sign-in.js'
import { UserAgent } from './user-agent.js'

export interface Portal extends TestClient {
  redirectUri: string
}

export interface DrillData {
  config: Config
  /** A handle on the shared schema, for counting rows. */
  db: Db
  machine: TestClient & { clientSecret: string }
  portals: Portal[]
  persons: TestPerson[]
  close(): Promise<void>
}

export async function seedDrillData(env: Record<string, string>, options: { persons?: number; portals?: Partial<RegisterClientInput>[] } = {}): Promise<DrillData> {
  const config = loadConfig({ env: { NODE_ENV: 'test', ...TEST_SECRETS, ...env, ONEDOOR_LOG_LEVEL: 'silent' } })
  const db = createDb(config.db)
  try {
    await migrateLatest(db)
    const services = createServices(config, db)
    await services.keySet.ensureKeys()
    const register = (input: Partial<RegisterClientInput> & { redirectUris: string[] }) =>
      registerClient({ config, clients: services.clients, loadJwks: services.keySet.loadSigningJwks }, { name: 'Drill portal', ...input })
    const machine = await register({ name: 'Drill machine client', redirectUris: ['http://127.0.0.1:9/unused'] })
    const portals: Portal[] = []
    for (const [i, input] of (options.portals ?? [{}]).entries()) {
      const redirectUri = `http://127.0.0.1:9/drill-cb-${i}`
      const registered = await register({ redirectUris: [redirectUri], ...input })
      portals.push({ clientId: registered.clientId, clientSecret: registered.clientSecret, redirectUri })
    }
    const persons: TestPerson[] = []
    for (let i = 0; i < (options.persons ?? 3); i += 1) {
      const person = { name: '张三', idNumber: randomIdNumber(), phone: randomPhone(), password: 'correct horse battery staple' }
      persons.push({ ...person, id: (await services.persons.registerPerson(person)).id })
    }
    const now = Date.now()
    await createLogoutQueueStore(db).enqueue(
      [{ id: randomBytes(8).toString('hex'), clientId: portals[0].clientId, accountId: persons[0].id, reason: 'sign_out_everywhere', attempts: 0 }],
      { now, leaseUntil: now + 24 * 3600_000 },
    )
    return { config, db, machine: { clientId: machine.clientId, clientSecret: machine.clientSecret! }, portals, persons, close: () => db.destroy() }
  } catch (err) {
    await db.destroy()
    throw err
  }
}

/**
 * One OneDoor server process (src/main.ts, as in production) on the drill's database, on
 * 127.0.0.1 and its own port and issuer; stopped with the test process even if that dies.
 */
export async function startDrillNode(env: Record<string, string>): Promise<NodeProcess> {
  const port = await freePort()
  const node = spawnNode({
    name: 'drill-node',
    port,
    env: { NODE_ENV: 'test', ONEDOOR_LOG_LEVEL: process.env.ONEDOOR_TEST_LOG_LEVEL ?? 'warn', ...TEST_SECRETS, ...env, ONEDOOR_HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}` },
  })
  try {
    await node.ready(90_000)
  } catch (err) {
    await node.kill('SIGKILL')
    throw err
  }
  return node
}

/** A resident signs in to a portal through the real pages of the node at `url`; the code is redeemed. */
export async function signInAt(url: string, portal: Portal, person: TestPerson) {
  const config = await discover(url, portal.clientId, portal.clientSecret)
  const start = await startAuthorization(config, { redirect_uri: portal.redirectUri, scope: 'openid profile' })
  const { callbackUrl } = await signInThroughPages(new UserAgent(), start.url, portal.redirectUri, { identifier: person.idNumber, password: person.password })
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  return { config, tokens }
}

/** A client_credentials token request, as a machine client sends it. */
export function requestClientToken(url: string, client: { clientId: string; clientSecret: string }): Promise<Response> {
  return fetch(`${url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  })
}

export interface PrivateDatabaseDrill {
  pg: PrivatePostgres
  data: DrillData
  node: NodeProcess
}

/**
 * Registers before/after hooks for a drill that owns its database: a private PostgreSQL
 * (never the shared server), the drill data, and one node with `nodeConfig` as its config file.
 * The returned object is filled in by the `before` hook.
 */
export function usePrivateDatabaseDrill(options: { seed?: Parameters<typeof seedDrillData>[1]; nodeConfig?: object } = {}): PrivateDatabaseDrill {
  const drill = {} as PrivateDatabaseDrill
  const dataDir = mkdtempSync(path.join(tmpdir(), 'onedoor-drill-'))
  before(async function () {
    // Not skipped when the binaries are missing: the drill would then pass unseen. PostgreSQL's
    // server binaries are on every machine this suite runs on (the suite's own database is one).
    assert.ok(isPrivatePostgresAvailable(), 'this drill starts its own PostgreSQL: initdb and pg_ctl must be in /usr/lib/postgresql/15/bin (or ONEDOOR_TEST_PG_BIN)')
    drill.pg = await startPrivatePostgres()
    const env: Record<string, string> = { DATABASE_URL: drill.pg.url, ONEDOOR_DB_SCHEMA: 'onedoor', ONEDOOR_DATA_DIR: dataDir }
    drill.data = await seedDrillData(env, options.seed)
    if (options.nodeConfig) {
      env.ONEDOOR_CONFIG_FILE = path.join(dataDir, 'node.json')
      writeFileSync(env.ONEDOOR_CONFIG_FILE, JSON.stringify(options.nodeConfig))
    }
    drill.node = await startDrillNode(env)
  })
  after(async () => {
    await drill.node?.stop()
    await drill.data?.close()
    drill.pg?.destroy()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return drill
}
