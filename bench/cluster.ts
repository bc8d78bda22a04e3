/*
 * Several nodes (issue 6): OneDoor on PostgreSQL with one node and with two nodes, both behind
 * the round-robin proxy of src/cluster (so both runs pay for the same extra hop), as if TLS
 * ended in front of it (https issuer, X-Forwarded-Proto). Measures code-flow sign-ins/s through
 * the real pages and client_credentials grants/s, with p50/p99, and how the proxy spread them.
 *
 * Called by bench/run.ts (`npm run bench`, or alone: `npm run bench -- --only cluster [--quick]`),
 * which hands over the load operations it uses for the single-server figures, so both measure
 * exactly the same requests. On a 2-core machine every process (nodes, PostgreSQL, proxy, load
 * generator) shares the same two cores: read the figures as what a second node costs or gains
 * there, not as what a second machine would add.
 */
import { startCluster, type Cluster } from '../src/cluster/index.js'
import { Connection } from './http.js'
import { closedLoop, median, type LoadResult, type Operation } from './load.js'
import { prepareTarget, seed, type Seed } from './onedoor-target.js'

export interface ClusterBenchOptions {
  pgUrl: string
  /** Node counts to compare (default 1 and 2). */
  nodeCounts?: number[]
  connections: number
  sizes: { runs: number; seconds: number; warmupSeconds: number; logins: number; loginSeconds: number; persons: number }
  /** CPU list each node may use (`taskset -c`); the load generator is already pinned. */
  nodeCpus: string
  serverEnv: Record<string, string>
  /** The operations of bench/run.ts, built for one seeded database. */
  operations(seeded: Seed): { login: Operation; clientCredentials: Operation }
  log(line: string): void
}

export interface ClusterFigures {
  nodes: number
  logins: LoadResult[]
  clientCredentials: LoadResult[]
  /** Share of the requests each node answered (from the proxy's counters). */
  spread: number[]
}

export async function measureCluster(options: ClusterBenchOptions): Promise<ClusterFigures[]> {
  const figures: ClusterFigures[] = []
  for (const nodes of options.nodeCounts ?? [1, 2]) figures.push(await measureNodes(nodes, options))
  return figures
}

async function measureNodes(nodes: number, options: ClusterBenchOptions): Promise<ClusterFigures> {
  const name = `${nodes} node${nodes > 1 ? 's' : ''}`
  const target = prepareTarget('pg', 0, options.pgUrl)
  Object.assign(target.env, options.serverEnv)
  let cluster: Cluster | undefined
  const connections: Connection[] = []
  try {
    options.log(`cluster, ${name}: starting behind the proxy`)
    // Nodes run the built JavaScript with `npm start`'s flags, like the one-node figures (fair comparison).
    cluster = await startCluster({ nodes, databaseUrl: options.pgUrl, env: target.env, forwardedProto: 'https', cpus: Array(nodes).fill(options.nodeCpus), runtime: 'dist' })
    const seeded = await seed({ ...target, env: { ...target.env, ISSUER: cluster.issuer } }, options.sizes.persons)
    const ops = options.operations(seeded)
    for (let i = 0; i < options.connections; i += 1) connections.push(new Connection({ origin: cluster.url, issuer: cluster.issuer, headers: {} }))
    const figures: ClusterFigures = { nodes, logins: [], clientCredentials: [], spread: [] }
    const before = [...cluster.proxy.served]

    await closedLoop(connections, ops.login, { count: connections.length }) // warm-up: one sign-in per connection
    for (let run = 0; run < Math.min(2, options.sizes.runs); run += 1) {
      const r = await closedLoop(connections, ops.login, { count: options.sizes.logins, seconds: options.sizes.loginSeconds })
      figures.logins.push(r)
      options.log(`cluster, ${name}: sign-ins run ${run + 1}: ${r.perSecond.toFixed(1)}/s p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms${r.errors ? ` errors ${r.errors} (${r.firstError})` : ''}`)
    }
    await closedLoop(connections, ops.clientCredentials, { seconds: options.sizes.warmupSeconds })
    for (let run = 0; run < options.sizes.runs; run += 1) {
      const r = await closedLoop(connections, ops.clientCredentials, { seconds: options.sizes.seconds })
      figures.clientCredentials.push(r)
      options.log(`cluster, ${name}: client_credentials run ${run + 1}: ${r.perSecond.toFixed(0)}/s p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms${r.errors ? ` errors ${r.errors} (${r.firstError})` : ''}`)
    }
    const served = cluster.proxy.served.map((n, i) => n - before[i])
    const total = served.reduce((a, b) => a + b, 0)
    figures.spread = served.map((n) => n / Math.max(1, total))
    return figures
  } finally {
    for (const c of connections) c.close()
    await cluster?.stop()
    await target.cleanup()
  }
}

const rate = (runs: LoadResult[]) => median(runs.map((r) => r.perSecond))
const p = (runs: LoadResult[], key: 'p50' | 'p99') => median(runs.map((r) => r[key]))
const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—')

/** The markdown section of bench/results/latest.md. */
export function formatCluster(figures: ClusterFigures[], meta: { cpus: number; connections: number }): string {
  const base = figures.find((f) => f.nodes === 1)
  const lines = [
    `| nodes | sign-ins/s | sign-in p50 / p99 ms | client_credentials/s | client_credentials p50 / p99 ms | requests per node |`,
    '|---:|---:|---:|---:|---:|---|',
  ]
  for (const f of figures) {
    const scale = (v: number, b: number | undefined) => (base && f !== base && b ? ` (${fmt(v / b, 2)}×)` : '')
    lines.push(
      `| ${f.nodes} | ${fmt(rate(f.logins))}${scale(rate(f.logins), base && rate(base.logins))} | ${fmt(p(f.logins, 'p50'), 0)} / ${fmt(p(f.logins, 'p99'), 0)} ` +
        `| ${fmt(rate(f.clientCredentials), 0)}${scale(rate(f.clientCredentials), base && rate(base.clientCredentials))} | ${fmt(p(f.clientCredentials, 'p50'))} / ${fmt(p(f.clientCredentials, 'p99'))} ` +
        `| ${f.spread.map((s) => `${(s * 100).toFixed(0)} %`).join(' / ')} |`,
    )
  }
  const errors = figures.flatMap((f) => [...f.logins, ...f.clientCredentials]).reduce((n, r) => n + r.errors, 0)
  lines.push('')
  lines.push(
    `Both runs go through the round-robin proxy (src/cluster, in the load generator's process) with ${meta.connections} keep-alive connections; ` +
      `the nodes share PostgreSQL and may use every core. This machine has ${meta.cpus} core(s) for the nodes, PostgreSQL, the proxy and the load generator together, ` +
      'so a second node adds processes, not CPU: sign-ins are bound by argon2id, which one node already runs on every core (libuv threads), and token grants by ' +
      `the cores left after PostgreSQL and the load. Requests that failed: ${errors}.`,
  )
  return lines.join('\n')
}
