/*
 * Several OneDoor nodes over one PostgreSQL database behind a round-robin proxy on loopback:
 * `npm run cluster`, the multi-node tests (test/helpers/cluster.ts) and the two-node benchmark.
 * The issuer is the proxy's URL; the nodes trust the X-Forwarded-* headers it sets.
 */
import { loadConfig } from '../config/index.js'
import { freePort } from '../shared/free-port.js'
import { spawnNode, type NodeProcess, type NodeRuntime } from './node-process.js'
import { startProxy, type RoundRobinProxy } from './proxy.js'

export { spawnNode, type NodeProcess, type NodeRuntime } from './node-process.js'
export { startProxy, type RoundRobinProxy } from './proxy.js'
export { freePort } from '../shared/free-port.js'

export interface ClusterOptions {
  /** Number of nodes (default 2). */
  nodes?: number
  /** PostgreSQL URL shared by every node: SQLite is one process's embedded database. */
  databaseUrl: string
  /**
   * Environment for every node besides what the cluster sets (DATABASE_URL, ISSUER, PORT,
   * ONEDOOR_HOST, ONEDOOR_TRUST_PROXY): NODE_ENV, secrets, ONEDOOR_DB_SCHEMA, ONEDOOR_DATA_DIR,
   * ONEDOOR_CONFIG_FILE, ONEDOOR_LOG_LEVEL… Nodes must share the secrets: without them, a
   * development cluster generates one set under ONEDOOR_DATA_DIR before any node starts.
   */
  env?: Record<string, string>
  /** The proxy's port (0, the default: a free one). Nodes get free ports unless `nodePorts` is given. */
  port?: number
  nodePorts?: number[]
  /** Each node's output line by line (prefixed with its name); unset: quiet. */
  onOutput?: (line: string) => void
  /** CPU list per node for `taskset -c` (the benchmark); unset: not pinned. */
  cpus?: (string | undefined)[]
  /** 'dist': nodes run as `npm start` runs the server (build first); 'source' (default): src/main.ts through tsx. */
  runtime?: NodeRuntime
  /** How often the proxy probes each node's /readyz (default 1000 ms). */
  healthIntervalMs?: number
  /**
   * 'https': behave as if TLS ended in front of the proxy (X-Forwarded-Proto: https and an https
   * issuer), which NODE_ENV=production requires; the proxy itself still speaks plain HTTP.
   */
  forwardedProto?: 'http' | 'https'
}

export interface Cluster {
  /** The proxy's URL. */
  readonly url: string
  /** The issuer: the proxy's URL (with https when forwardedProto is https). */
  readonly issuer: string
  readonly nodes: NodeProcess[]
  readonly proxy: RoundRobinProxy
  /** The environment each node got (a CLI run with it reaches the same database and secrets). */
  readonly env: Record<string, string>
  /** Stops the proxy, then every node gracefully (SIGTERM), in parallel. */
  stop(): Promise<void>
}

export class ClusterError extends Error {
  override name = 'ClusterError'
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const count = options.nodes ?? 2
  if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    throw new ClusterError(`several nodes need PostgreSQL: DATABASE_URL must be a postgres:// URL (got ${options.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')})`)
  }
  if (!Number.isInteger(count) || count < 1 || count > 16) throw new ClusterError('nodes must be between 1 and 16')
  const ports = options.nodePorts ?? (await Promise.all(Array.from({ length: count }, () => freePort())))
  const proxy = await startProxy({ targets: ports.map((p) => `http://127.0.0.1:${p}`), port: options.port ?? 0, healthIntervalMs: options.healthIntervalMs, forwardedProto: options.forwardedProto })
  const issuer = options.forwardedProto === 'https' ? proxy.url.replace(/^http:/, 'https:') : proxy.url
  const nodes: NodeProcess[] = []
  try {
    const env: Record<string, string> = {
      ...options.env,
      DATABASE_URL: options.databaseUrl,
      ISSUER: issuer,
      ONEDOOR_HOST: '127.0.0.1',
      ONEDOOR_TRUST_PROXY: 'true',
    }
    // Validates the configuration once, here, with a readable error; and in development creates
    // the shared secrets file before nodes could race to create two different ones.
    loadConfig({ env })
    for (let i = 0; i < count; i += 1) {
      nodes.push(spawnNode({ name: `node${i + 1}`, port: ports[i], env, onOutput: options.onOutput, cpus: options.cpus?.[i], runtime: options.runtime }))
    }
    await Promise.all(nodes.map((node) => node.ready()))
    await proxy.checkHealth()
    return {
      url: proxy.url,
      issuer,
      nodes,
      proxy,
      env,
      async stop() {
        await proxy.close()
        await Promise.all(nodes.map((node) => node.stop()))
      },
    }
  } catch (err) {
    await proxy.close()
    await Promise.all(nodes.map((node) => node.kill('SIGKILL')))
    throw err
  }
}
