/*
 * `npm run cluster`: two OneDoor nodes over one PostgreSQL database behind a round-robin proxy
 * on loopback, for a local trial of the multi-node layout. Ctrl-C stops everything. npm builds
 * dist/ first ("precluster"); each node runs dist/main.js exactly as `npm start` would.
 *
 *   npm run cluster                              proxy (= issuer) on :3000, nodes on :3001, :3002
 *   npm run cluster -- --nodes 3 --port 4000
 *   DATABASE_URL=postgres://host/db npm run cluster
 */
import { Command } from 'commander'
import { startCluster } from '../src/cluster/index.js'

const DEFAULT_DATABASE_URL = 'postgres://127.0.0.1:5432/test'
const DEFAULT_SCHEMA = 'onedoor_cluster'
const DEFAULT_DATA_DIR = 'data/cluster'

const options = new Command()
  .name('cluster')
  .description('two (or more) OneDoor nodes over one PostgreSQL database behind a round-robin proxy on loopback')
  .option('--nodes <n>', 'number of nodes', (v) => Number.parseInt(v, 10), 2)
  .option('--port <port>', "the proxy's port (the issuer); nodes take the following ports", (v) => Number.parseInt(v, 10), 3000)
  .parse()
  .opts<{ nodes: number; port: number }>()

const env: Record<string, string> = {
  ...pick(process.env, /^(NODE_ENV|ONEDOOR_.*|MALLOC_.*)$/),
  ONEDOOR_DB_SCHEMA: process.env.ONEDOOR_DB_SCHEMA ?? DEFAULT_SCHEMA,
  ONEDOOR_DATA_DIR: process.env.ONEDOOR_DATA_DIR ?? DEFAULT_DATA_DIR,
}
const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL

async function main(): Promise<void> {
  const cluster = await startCluster({
    nodes: options.nodes,
    databaseUrl,
    env,
    port: options.port,
    nodePorts: Array.from({ length: options.nodes }, (_, i) => options.port + 1 + i),
    runtime: 'dist',
    onOutput: (line) => {
      if (isNoise(line)) return
      process.stdout.write(`${line}\n`)
    },
  })
  const cli = `DATABASE_URL=${databaseUrl} ONEDOOR_DB_SCHEMA=${env.ONEDOOR_DB_SCHEMA} ONEDOOR_DATA_DIR=${env.ONEDOOR_DATA_DIR} npm run onedoor --`
  process.stdout.write(`
  OneDoor cluster is running: ${cluster.nodes.length} nodes behind a round-robin proxy.
    issuer     ${cluster.url}  (the proxy)
    nodes      ${cluster.nodes.map((n) => `${n.name} ${n.url} (pid ${n.pid})`).join(', ')}, running dist/main.js as npm start does
    database   PostgreSQL, schema ${env.ONEDOOR_DB_SCHEMA}

  The CLI reaches the same database and secrets with:
    echo 'a long passphrase of mine' | ${cli} person add --name 张三 --id-number 230102199001011230 --phone 13800138000 --password-stdin
    ${cli} client add --name "Demo portal" --redirect-uri http://localhost:8080/callback --public
  Try: kill -9 one node's pid; sign-ins carry on through the other. Ctrl-C stops the cluster.

`)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    process.stdout.write('stopping the cluster…\n')
    cluster.stop().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** Each node's own start-up banner (the cluster prints one for all) and the proxy's health probes. */
function isNoise(line: string): boolean {
  const text = line.slice(line.indexOf('] ') + 2)
  return !text.startsWith('{') || text.includes('"path":"/readyz"')
}

function pick(source: NodeJS.ProcessEnv, pattern: RegExp): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((e): e is [string, string] => pattern.test(e[0]) && e[1] !== undefined))
}

main().catch((err) => {
  // Configuration and start-up errors carry their own explanation (a node's last output lines).
  process.stderr.write(`cluster failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
