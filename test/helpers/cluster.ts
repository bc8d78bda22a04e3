/*
 * Several OneDoor node processes over one fresh PostgreSQL schema behind the round-robin proxy
 * of src/cluster (issue 6), for tests under test/scale/ (PostgreSQL only).
 *
 *   const cluster = await startTestCluster({ nodes: 2, config: { signIn: { failuresPerAccountPerHour: 3 } } })
 *   cluster.url                 the proxy = the issuer
 *   cluster.nodes[0].url / .pid / .kill('SIGKILL') / .stop() / .restart() / .output()
 *   cluster.proxy.pin(1)        send the following requests to node 2 (undefined: round robin)
 *   cluster.addPerson(), cluster.addClient(…), cluster.runCli([...]), cluster.db (the shared schema)
 *   await cluster.stop()        stops proxy and nodes, drops the schema
 *
 * Every node is also stopped if the test process dies (see src/cluster/exit-with-parent.ts).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { createServices } from '../../src/app.js'
import { startCluster, type Cluster } from '../../src/cluster/index.js'
import { loadConfig, type Config } from '../../src/config/index.js'
import { registerClient, type RegisterClientInput } from '../../src/oidc/index.js'
import { createDb, type Db } from '../../src/store/db.js'
import { runCli, type CliResult } from './cli.js'
import { createTestDatabase, randomIdNumber, randomPhone, TEST_SECRETS, testDbKind, type TestDatabase } from './onedoor.js'
import type { TestClient, TestPerson } from './sign-in.js'

export interface TestClusterOptions {
  /** Number of nodes (default 2). */
  nodes?: number
  /** Settings for every node on top of config/test.json (written to a file named by ONEDOOR_CONFIG_FILE). */
  config?: Record<string, unknown>
  /** More environment for every node. */
  env?: Record<string, string>
}

export interface TestCluster extends Pick<Cluster, 'nodes' | 'proxy'> {
  /** The proxy's URL, which is the issuer. */
  url: string
  database: TestDatabase
  /** The configuration the nodes run with. */
  config: Config
  /** A handle on the shared schema (count rows, use stores). */
  db: Db
  services: ReturnType<typeof createServices>
  addPerson(input?: Partial<Omit<TestPerson, 'id'>>): Promise<TestPerson>
  addClient(input: Partial<RegisterClientInput> & { redirectUris: string[] }): Promise<TestClient>
  /** Runs the `onedoor` command against the cluster's database, as an operator would. */
  runCli(args: string[]): Promise<CliResult>
  stop(): Promise<void>
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  if (testDbKind() !== 'pg') throw new Error('a cluster needs PostgreSQL: run with ONEDOOR_TEST_DATABASES=pg (test/scale/ is PostgreSQL only)')
  const database = createTestDatabase()
  const configFile = path.join(database.dataDir, 'cluster.json')
  writeFileSync(configFile, JSON.stringify(options.config ?? {}))
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    ONEDOOR_LOG_LEVEL: process.env.ONEDOOR_TEST_LOG_LEVEL ?? 'warn',
    ...TEST_SECRETS,
    ...database.env,
    ONEDOOR_CONFIG_FILE: configFile,
    ...options.env,
  }
  let cluster: Cluster | undefined
  let db: Db | undefined
  try {
    cluster = await startCluster({ nodes: options.nodes ?? 2, databaseUrl: database.env.DATABASE_URL, env, healthIntervalMs: 250 })
    const config = loadConfig({ env: cluster.env })
    db = createDb({ ...config.db, poolMax: 4 })
    const services = createServices(config, db)
    const started = cluster
    const handle = db
    return {
      url: started.url,
      nodes: started.nodes,
      proxy: started.proxy,
      database,
      config,
      db: handle,
      services,
      async addPerson(input = {}) {
        const person = { name: input.name ?? '张三', idNumber: input.idNumber ?? randomIdNumber(), phone: input.phone ?? randomPhone(), password: input.password ?? 'correct horse battery staple' }
        return { ...person, id: (await services.persons.registerPerson(person)).id }
      },
      async addClient(input) {
        const registered = await registerClient({ config, clients: services.clients, loadJwks: services.keySet.loadSigningJwks }, { name: 'Test portal', ...input })
        return { clientId: registered.clientId, clientSecret: registered.clientSecret }
      },
      runCli: (args) => runCli(database, args, { env: { ONEDOOR_CONFIG_FILE: configFile } }),
      async stop() {
        await started.stop()
        await handle.destroy()
        await database.drop()
      },
    }
  } catch (err) {
    await cluster?.stop()
    await db?.destroy()
    await database.drop()
    throw err
  }
}

/** For the enclosing `describe`: a cluster started before its tests and stopped after them. Set once `before` has run. */
export function useTestCluster(options: TestClusterOptions = {}): { cluster: TestCluster } {
  const env = {} as { cluster: TestCluster }
  before(async function () {
    this.timeout(120_000)
    env.cluster = await startTestCluster(options)
  })
  after(async function () {
    this.timeout(60_000)
    await env.cluster?.stop()
  })
  return env
}
