/*
 * `npm run bench`: throughput, latency, memory and start-up of OneDoor on SQLite and PostgreSQL
 * against a bare oidc-provider (in-memory adapter) as the reference, on loopback.
 *
 * Layout: the server under test runs in a child process pinned to core 0 (`taskset -c 0`);
 * this process (the load generator) re-executes itself pinned to core 1. 16 keep-alive
 * connections, closed loop for peak figures (median of repeated runs), then a fixed-rate phase
 * at 50 % of each measured peak for the latency target. Logins are also measured with the
 * server allowed both cores (the load generator then shares core 1 with it).
 *
 *   npm run bench                 full run (≈ 13–15 min, for a quiet machine)
 *   npm run bench -- --quick      short smoke run (≈ 1–2 min; figures are indicative only)
 *   npm run bench -- --db sqlite  one database only;  --no-bare skips the reference
 *   npm run bench -- --only cluster [--quick]   one node vs two nodes behind the proxy, alone
 *   npm run bench -- --only paired [--quick]    every target loaded in turn, round after round (the robust ratios)
 *   npm run bench -- --profile clientCredentials --db sqlite   where the server's CPU goes (bench/profile.ts)
 *   npm run bench -- --profile refresh --db sqlite --ab KEY=VALUE   the server with KEY=VALUE against one without
 *   node_modules/.bin/node --import tsx bench/accounts-size.ts [--quick]   10^3 vs 10^6 accounts, alone
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command } from 'commander'
import { loadConfig } from '../src/config/index.js'
import { basicAuth, Browser, Connection, type Target } from './http.js'
import { closedLoop, fixedRate, median, spread, type LoadResult, type Operation } from './load.js'
import { PASSWORD, pkcePair, prepareTarget, REDIRECT_URI, seed, type DbKind, type Seed } from './onedoor-target.js'
import { formatCluster, measureCluster } from './cluster.js'
import { formatAccountsSize, measureAccountsSize } from './accounts-size.js'
import { summariseProfile } from './profile.js'
import { BARE_SCRIPT, buildServers, freePort, NODE, ONEDOOR_SCRIPT, ROOT, spawnServer, waitReady, type ServerProcess } from './server.js'

const program = new Command()
  .name('bench')
  .option('--quick', 'short smoke run (fewer, shorter runs)', false)
  .option('--db <list>', 'databases to measure: sqlite,pg', 'sqlite,pg')
  .option('--no-bare', 'skip the bare oidc-provider reference')
  .option('--pg-url <url>', 'PostgreSQL server (a fresh schema is created and dropped)', 'postgres://127.0.0.1:5432/test')
  .option('--out <file>', 'where to write the markdown table', 'bench/results/latest.md')
  .option('--connections <n>', 'concurrent connections', (v) => Number.parseInt(v, 10), 16)
  .option('--server-env <KEY=VALUE...>', 'extra environment for the OneDoor server processes (e.g. MALLOC_ARENA_MAX=2); with --profile, for the bare reference too', [])
  .option('--no-accounts-size', 'skip sign-in latency at 10^3 vs 10^6 seeded accounts and the sizing (bench/accounts-size.ts)')
  .option('--no-cluster', 'skip one node vs two nodes on PostgreSQL behind the proxy (bench/cluster.ts)')
  .option('--no-paired', 'skip the paired runs (every target loaded in turn, round after round: the noise-robust ratios)')
  .option('--only <part>', 'run one part alone and print it (not written to --out): cluster, paired')
  .option('--profile <operation>', 'profile the server (V8 --cpu-prof) during one operation and print where its CPU goes: login, consentLogin (with the consent page), clientCredentials, refresh, introspection; --db may name bare (the reference)')
  .option('--no-cpu-prof', 'with --profile: load and measure CPU per operation without the profiler (for A/B comparisons)')
  .option('--ab <KEY=VALUE...>', 'with --profile: compare a server with this environment (A) against one without (B), in alternating 1 s slices (--seconds of them)', [])
  .option('--ab-flag <flag...>', 'with --profile: like --ab, but A runs with these Node flags (e.g. --single-threaded-gc); may be combined with --ab', [])
  .option('--rate <n>', 'with --profile: a fixed rate (requests/s, latency from when each was due) instead of a closed loop', (v) => Number.parseFloat(v))
  .option('--seconds <n>', 'with --profile: how long to load the server', (v) => Number.parseFloat(v), 10)
  .parse()
const options = program.opts<{ quick: boolean; db: string; bare: boolean; pgUrl: string; out: string; connections: number; serverEnv: string[]; cluster: boolean; paired: boolean; accountsSize: boolean; only?: string; profile?: string; seconds: number; cpuProf: boolean; ab: string[]; abFlag: string[]; rate?: number }>()
const envFrom = (pairs: string[]) => Object.fromEntries(pairs.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
const extraServerEnv = envFrom(options.serverEnv)

const twoCores = cpus().length >= 2
const SERVER_CPU = '0'
const LOAD_CPU = twoCores ? '1' : '0'
const BOTH_CPUS = twoCores ? '0,1' : '0'

// The load generator pins itself once, then runs everything from the pinned copy.
if (!process.env.ONEDOOR_BENCH_PINNED) {
  const result = spawnSync('taskset', ['-c', LOAD_CPU, NODE, '--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ONEDOOR_BENCH_PINNED: '1' },
  })
  process.exit(result.status ?? 1)
}

const SIZES = options.quick
  ? { runs: 1, seconds: 2, warmupSeconds: 1, halfSeconds: 2, coldStarts: 2, logins: 48, logins2: 64, loginSeconds: 8, persons: 16, argonSeconds: 2 }
  : { runs: 3, seconds: 5, warmupSeconds: 3, halfSeconds: 5, coldStarts: 5, logins: 160, logins2: 240, loginSeconds: 15, persons: 16, argonSeconds: 5 }

type Endpoint = 'clientCredentials' | 'refresh' | 'introspection'
const ENDPOINTS: Endpoint[] = ['clientCredentials', 'refresh', 'introspection']
const ENDPOINT_NAMES: Record<Endpoint, string> = { clientCredentials: 'client_credentials', refresh: 'refresh_token', introspection: 'introspection' }

interface TargetResult {
  name: string
  firstStartMs?: number
  coldStartMs: number[]
  logins1: LoadResult[]
  /** argon2id verifies/s on the server's core measured just before this target's 1-core sign-ins (the machine drifts). */
  ceilingOne?: number
  /** OneDoor only: sign-ins that pass the consent page (prompt=consent: a person's first sign-in to the portal), 1 core. */
  loginsConsentPage?: LoadResult[]
  logins2: LoadResult[]
  peak: Record<Endpoint, LoadResult[]>
  half: Partial<Record<Endpoint, LoadResult>>
  peakRssMiB: number
}

interface Credentials {
  clientId: string
  clientSecret: string
  refreshTokens: string[]
  accessTokens: string[]
  issued: number
}

/** Runs a load phase and adds the server's CPU time per successful operation. */
async function withCpu(server: ServerProcess, phase: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = server.cpuMs()
  const mainBefore = server.mainThreadCpuMs()
  const result = await phase()
  result.cpuMicros = ((server.cpuMs() - before) * 1000) / Math.max(1, result.ok)
  result.mainThreadMicros = ((server.mainThreadCpuMs() - mainBefore) * 1000) / Math.max(1, result.ok)
  return result
}

/**
 * Share of the time the server's main thread was running during a phase. At a fixed rate of half
 * the peak it is not 50 %: on this shared machine an operation cost up to twice the CPU at a fixed
 * half rate than in the saturated closed loop, every function alike in the profiles (oidc-provider's
 * and koa's as much as OneDoor's), and queueing behind each pause grows with how busy the thread is.
 */
function mainThreadBusy(r: LoadResult): number {
  return ((r.mainThreadMicros ?? NaN) * r.perSecond) / 1e6
}

function dbKinds(): DbKind[] {
  const kinds = options.db.split(',').map((s) => s.trim()).filter(Boolean)
  for (const kind of kinds) if (kind !== 'sqlite' && kind !== 'pg') throw new Error(`unknown database ${kind} (sqlite, pg)`)
  return kinds as DbKind[]
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
}

function connectionsFor(target: Target): Connection[] {
  return Array.from({ length: options.connections }, () => new Connection(target))
}

function httpsBehindProxy(port: number): Target {
  return { origin: `http://127.0.0.1:${port}`, issuer: `https://127.0.0.1:${port}`, headers: { 'x-forwarded-proto': 'https', host: `127.0.0.1:${port}` } }
}

function expectJson(reply: { status: number; body: string }, what: string): Record<string, unknown> {
  if (reply.status !== 200) throw new Error(`${what}: HTTP ${reply.status} ${reply.body.slice(0, 200)}`)
  return JSON.parse(reply.body) as Record<string, unknown>
}

function operations(creds: Credentials): Record<Endpoint, Operation> {
  const authorization = basicAuth(creds.clientId, creds.clientSecret)
  return {
    clientCredentials: async (c) => {
      expectJson(await c.postForm('/token', { grant_type: 'client_credentials' }, { authorization }), 'client_credentials')
    },
    refresh: async (c, i) => {
      const refreshToken = creds.refreshTokens[i % creds.refreshTokens.length]
      const body = expectJson(await c.postForm('/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { authorization }), 'refresh')
      // The newest 64 access tokens are what the introspection phase asks about.
      creds.accessTokens[creds.issued++ % 64] = String(body.access_token)
    },
    introspection: async (c, i) => {
      const body = expectJson(await c.postForm('/token/introspection', { token: creds.accessTokens[i % creds.accessTokens.length] }, { authorization }), 'introspection')
      if (body.active !== true) throw new Error('introspection: token not active')
    },
  }
}

/**
 * One full sign-in: /auth → login page → password (argon2) → consent page if shown → callback →
 * code exchange. A person OneDoor has seen allow the portal is not asked again (remembered
 * consent); `askConsent` sends prompt=consent, so that every sign-in passes the consent page as
 * a person's first one to the portal does. The bare reference has no consent page.
 */
function loginOperation(seeded: { clientId: string; clientSecret: string; identifiers: string[] }, creds: Credentials, askConsent = false): Operation {
  const authorization = basicAuth(seeded.clientId, seeded.clientSecret)
  return async (connection, index) => {
    const browser = new Browser(connection)
    const { verifier, challenge } = pkcePair()
    const state = String(index)
    const query = new URLSearchParams({ client_id: seeded.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid profile phone', state, nonce: `n${index}`, code_challenge: challenge, code_challenge_method: 'S256', ...(askConsent ? { prompt: 'consent' } : {}) })
    let step = await browser.navigate(`/auth?${query}`)
    step = await browser.submit(step, '/login', { identifier: seeded.identifiers[index % seeded.identifiers.length], password: PASSWORD })
    if (step.page?.body.includes('/confirm"')) step = await browser.submit(step, '/confirm')
    else if (askConsent) throw new Error('prompt=consent without a consent page')
    const code = step.url.searchParams.get('code')
    if (step.page || !code || step.url.searchParams.get('state') !== state) throw new Error(`login did not reach the portal with a code (${step.url.pathname}${step.page ? `, HTTP ${step.page.status}` : ''})`)
    const tokens = expectJson(await connection.postForm('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, { authorization }), 'code exchange')
    if (!tokens.id_token || !tokens.refresh_token) throw new Error('code exchange without id_token or refresh_token')
    if (creds.refreshTokens.length < 64) creds.refreshTokens.push(String(tokens.refresh_token))
    creds.accessTokens[creds.issued++ % 64] = String(tokens.access_token)
  }
}

/** A sign-in through the consent page (its tokens are not kept for the endpoint runs). */
function consentPageLoginOperation(seeded: Seed): Operation {
  return loginOperation(seeded, { clientId: seeded.clientId, clientSecret: seeded.clientSecret, refreshTokens: [], accessTokens: [], issued: 0 }, true)
}

async function measureEndpoints(result: TargetResult, server: ServerProcess, connections: Connection[], creds: Credentials): Promise<void> {
  const ops = operations(creds)
  log(`${result.name}: warm-up`)
  for (const endpoint of ENDPOINTS) await closedLoop(connections, ops[endpoint], { seconds: SIZES.warmupSeconds / ENDPOINTS.length })
  for (let run = 0; run < SIZES.runs; run += 1) {
    for (const endpoint of ENDPOINTS) {
      const r = await withCpu(server, () => closedLoop(connections, ops[endpoint], { seconds: SIZES.seconds }))
      result.peak[endpoint].push(r)
      log(`${result.name}: ${ENDPOINT_NAMES[endpoint]} run ${run + 1}: ${r.perSecond.toFixed(0)}/s p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, server CPU ${r.cpuMicros!.toFixed(0)} µs/op${r.errors ? ` errors ${r.errors} (${r.firstError})` : ''}`)
    }
  }
  for (const endpoint of ENDPOINTS) {
    const rate = median(result.peak[endpoint].map((r) => r.perSecond)) / 2
    const r = await withCpu(server, () => fixedRate(connections, ops[endpoint], rate, SIZES.halfSeconds))
    result.half[endpoint] = r
    log(`${result.name}: ${ENDPOINT_NAMES[endpoint]} at ${rate.toFixed(0)}/s (50 %): p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, main thread busy ${pct(mainThreadBusy(r))}${r.errors ? ` errors ${r.errors}` : ''}`)
  }
}

async function coldStarts(name: string, script: string, env: Record<string, string>, port: number, count: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < count; i += 1) {
    const started = performance.now()
    const server = spawnServer(script, env, SERVER_CPU)
    times.push(await waitReady(port, started, server))
    await server.stop()
  }
  log(`${name}: cold start ${times.map((t) => t.toFixed(0)).join(', ')} ms`)
  return times
}

async function runLogins(name: string, server: ServerProcess, connections: Connection[], op: Operation, count: number, runs: number): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  await closedLoop(connections, op, { count: connections.length }) // warm-up: one sign-in per connection
  for (let run = 0; run < runs; run += 1) {
    // Bounded by count and by time, so a slow (or busy) machine cannot stretch the run.
    const r = await withCpu(server, () => closedLoop(connections, op, { count, seconds: SIZES.loginSeconds }))
    results.push(r)
    log(`${name}: logins run ${run + 1}: ${r.perSecond.toFixed(1)}/s p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms, server CPU ${(r.cpuMicros! / 1000).toFixed(1)} ms/login (main thread ${(r.mainThreadMicros! / 1000).toFixed(1)})${r.errors ? ` errors ${r.errors} (${r.firstError})` : ''} (peak RSS so far ${server.peakRssMiB().toFixed(0)} MiB)`)
  }
  return results
}

async function benchOneDoor(kind: DbKind): Promise<TargetResult> {
  const name = kind === 'pg' ? 'PostgreSQL' : 'SQLite'
  const result: TargetResult = { name, coldStartMs: [], logins1: [], logins2: [], peak: { clientCredentials: [], refresh: [], introspection: [] }, half: {}, peakRssMiB: 0 }
  const port = await freePort()
  const target = prepareTarget(kind, port, options.pgUrl)
  Object.assign(target.env, extraServerEnv)
  const script = ONEDOOR_SCRIPT
  const servers: ServerProcess[] = []
  const start = async (cpus: string) => {
    const started = performance.now()
    const server = spawnServer(script, target.env, cpus)
    servers.push(server)
    const ms = await waitReady(port, started, server)
    return { server, ms }
  }
  try {
    log(`${name}: first start on an empty database (migrations, key generation)`)
    const first = await start(SERVER_CPU)
    result.firstStartMs = first.ms
    const seeded = await seed(target, SIZES.persons)
    await first.server.stop()
    result.coldStartMs = await coldStarts(name, script, target.env, port, SIZES.coldStarts)

    const { server } = await start(SERVER_CPU)
    const connections = connectionsFor(httpsBehindProxy(port))
    const creds: Credentials = { clientId: seeded.clientId, clientSecret: seeded.clientSecret, refreshTokens: [], accessTokens: [], issued: 0 }
    const login = loginOperation(seeded, creds)
    result.ceilingOne = await argon2Ceiling(SERVER_CPU, 1)
    result.logins1 = await runLogins(`${name} (server on 1 core)`, server, connections, login, SIZES.logins, SIZES.runs > 1 ? 2 : 1)
    result.loginsConsentPage = await runLogins(`${name} (server on 1 core, consent page)`, server, connections, consentPageLoginOperation(seeded), SIZES.logins, SIZES.runs > 1 ? 2 : 1)
    await measureEndpoints(result, server, connections, creds)
    result.peakRssMiB = server.peakRssMiB()
    for (const c of connections) c.close()
    await server.stop()

    const both = await start(BOTH_CPUS)
    const connections2 = connectionsFor(httpsBehindProxy(port))
    result.logins2 = await runLogins(`${name} (server on 2 cores)`, both.server, connections2, login, SIZES.logins2, SIZES.runs > 1 ? 2 : 1)
    result.peakRssMiB = Math.max(result.peakRssMiB, both.server.peakRssMiB())
    for (const c of connections2) c.close()
    await both.server.stop()
  } finally {
    for (const server of servers) await server.stop()
    await target.cleanup()
  }
  return result
}

const BARE_CLIENT_SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz'

function bareEnv(port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    ISSUER: `https://127.0.0.1:${port}`,
    ONEDOOR_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    ONEDOOR_COOKIE_KEYS: 'bench-cookie-key-0123456789abcdefghijklmnop',
    ONEDOOR_PII_ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('base64'),
    ONEDOOR_PII_BLIND_INDEX_KEY: Buffer.alloc(32, 3).toString('base64'),
    BENCH_CLIENT_SECRET: BARE_CLIENT_SECRET,
    BENCH_REDIRECT_URI: REDIRECT_URI,
    BENCH_PASSWORD: PASSWORD,
    BENCH_REFRESH_TOKENS: '64',
  }
}

/** The bare reference's static client and account (printed on its first stdout line). */
function bareSignIn(server: ServerProcess): { creds: Credentials; login: Operation } {
  const seedLine = server.stdoutLines.find((l) => l.startsWith('BENCH_SEED '))
  if (!seedLine) throw new Error('bare provider printed no seed line')
  const seedData = JSON.parse(seedLine.slice('BENCH_SEED '.length)) as { clientId: string; refreshTokens: string[] }
  const creds: Credentials = { clientId: seedData.clientId, clientSecret: BARE_CLIENT_SECRET, refreshTokens: seedData.refreshTokens, accessTokens: [], issued: 0 }
  return { creds, login: loginOperation({ clientId: seedData.clientId, clientSecret: BARE_CLIENT_SECRET, identifiers: ['bench-account'] }, creds, false) }
}

async function benchBare(): Promise<TargetResult> {
  const name = 'bare oidc-provider'
  const result: TargetResult = { name, coldStartMs: [], logins1: [], logins2: [], peak: { clientCredentials: [], refresh: [], introspection: [] }, half: {}, peakRssMiB: 0 }
  const port = await freePort()
  const env = bareEnv(port)
  const script = BARE_SCRIPT
  result.coldStartMs = await coldStarts(name, script, env, port, SIZES.coldStarts)
  const server = spawnServer(script, env, SERVER_CPU)
  try {
    await waitReady(port, performance.now(), server)
    const { creds, login } = bareSignIn(server)
    const connections = connectionsFor(httpsBehindProxy(port))
    result.ceilingOne = await argon2Ceiling(SERVER_CPU, 1)
    result.logins1 = await runLogins(`${name} (server on 1 core)`, server, connections, login, SIZES.logins, SIZES.runs > 1 ? 2 : 1)
    // Access tokens to introspect come from refreshes, as on OneDoor.
    await closedLoop(connections, operations(creds).refresh, { count: 64 })
    await measureEndpoints(result, server, connections, creds)
    result.peakRssMiB = server.peakRssMiB()
    for (const c of connections) c.close()
  } finally {
    await server.stop()
  }
  return result
}

async function argon2Ceiling(cpuList: string, concurrency: number, seconds = SIZES.argonSeconds): Promise<number> {
  return (await argon2Alone(cpuList, concurrency, seconds)).perSecond
}

/** argon2id alone on `cpuList`: verifies per second (wall clock) and CPU ms per verify. */
async function argon2Alone(cpuList: string, concurrency: number, seconds: number): Promise<{ perSecond: number; cpuMsPerVerify: number }> {
  const { argon2 } = loadConfig({ env: { NODE_ENV: 'test', ONEDOOR_DATA_DIR: path.join(ROOT, 'data') } }).passwords
  const args = [argon2.memoryKiB, argon2.timeCost, argon2.parallelism, concurrency, seconds].map(String)
  const child = spawn('taskset', ['-c', cpuList, NODE, '--import', 'tsx', path.join(ROOT, 'bench', 'argon2-ceiling.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await new Promise((resolve) => child.once('exit', resolve))
  const result = JSON.parse(out.trim()) as { perSecond: number; cpuMsPerVerify: number }
  log(`argon2id verify ceiling on cpu ${cpuList} (${concurrency} at a time): ${result.perSecond.toFixed(1)}/s, ${result.cpuMsPerVerify.toFixed(1)} ms CPU per verify`)
  return result
}

/** One node vs two nodes on PostgreSQL behind the proxy, with this file's operations (bench/cluster.ts). */
async function clusterSection(): Promise<string> {
  try {
    const figures = await measureCluster({
      pgUrl: options.pgUrl,
      connections: options.connections,
      sizes: SIZES,
      nodeCpus: BOTH_CPUS,
      serverEnv: extraServerEnv,
      log,
      operations: (seeded) => {
        const creds: Credentials = { clientId: seeded.clientId, clientSecret: seeded.clientSecret, refreshTokens: [], accessTokens: [], issued: 0 }
        return { login: loginOperation(seeded, creds), clientCredentials: operations(creds).clientCredentials }
      },
    })
    return formatCluster(figures, { cpus: cpus().length, connections: options.connections })
  } catch (err) {
    log(`cluster run failed: ${(err as Error).stack}`)
    return `_cluster run failed: ${(err as Error).message}_`
  }
}

/** Issue 6: sign-in at 10^3 vs 10^6 seeded accounts (5·10^4 with --quick), EXPLAIN, bytes per account. */
async function accountsSizeSection(): Promise<string> {
  try {
    return formatAccountsSize(await measureAccountsSize({ pgUrl: options.pgUrl, quick: options.quick, serverScript: ONEDOOR_SCRIPT, log }))
  } catch (err) {
    log(`accounts-size run failed: ${(err as Error).stack}`)
    return `_accounts-size run failed: ${(err as Error).message}_`
  }
}

async function logoutFanout(kinds: DbKind[]): Promise<string> {
  const file = path.join(ROOT, 'bench', 'logout-fanout.ts')
  if (!existsSync(file)) return '_skipped: bench/logout-fanout.ts (federation) does not exist yet._'
  try {
    const mod = (await import(pathToFileURL(file).href)) as {
      measureLogoutFanout?: (o: { db: DbKind; pgUrl: string }) => Promise<unknown[]>
      formatLogoutFanout?: (figures: unknown[]) => string
    }
    if (typeof mod.measureLogoutFanout !== 'function' || typeof mod.formatLogoutFanout !== 'function') {
      return '_skipped: bench/logout-fanout.ts does not export measureLogoutFanout() and formatLogoutFanout()._'
    }
    const figures: unknown[] = []
    for (const db of kinds) {
      log(`logout fan-out on ${db} (bench/logout-fanout.ts)`)
      figures.push(...(await mod.measureLogoutFanout({ db, pgUrl: options.pgUrl })))
    }
    return mod.formatLogoutFanout(figures)
  } catch (err) {
    return `_logout fan-out failed: ${(err as Error).message}_`
  }
}

// ---------------------------------------------------------------- report

const fmtRate = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '—')
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : '—')
const ms = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '—')
const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✅' : ' ❌')
const rateOf = (runs: LoadResult[]) => median(runs.map((r) => r.perSecond))
const noiseOf = (runs: LoadResult[]) => (runs.length > 1 ? ` ±${(spread(runs.map((r) => r.perSecond)) * 50).toFixed(0)}%` : '')

function report(results: TargetResult[], bare: TargetResult | undefined, ceiling: { one: number; two: number }, meta: { started: Date; seconds: number; loadBefore: number[]; loadAfter: number[]; paired: string; fanout: string; cluster: string; accounts: string; failures: string[] }): string {
  const onedoor = results
  const lines: string[] = []
  const cols = [...onedoor.map((r) => r.name), ...(bare ? [bare.name] : [])]
  lines.push(`# OneDoor benchmark${options.quick ? ' (quick smoke run: indicative only)' : ''}`)
  lines.push('')
  lines.push(`${meta.started.toISOString()} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · Node ${process.versions.node} · server pinned to cpu ${SERVER_CPU}, load generator to cpu ${LOAD_CPU} · ${options.connections} connections · load average before ${meta.loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${meta.loadAfter.map((v) => v.toFixed(2)).join(' ')} · took ${meta.seconds.toFixed(0)} s`)
  lines.push('')
  lines.push(`| metric | target | ${cols.join(' | ')} |`)
  lines.push(`|---|---|${cols.map(() => '---:').join('|')}|`)
  const row = (metric: string, target: string, cells: string[]) => lines.push(`| ${metric} | ${target} | ${cells.join(' | ')} |`)
  const bareCell = (f: (r: TargetResult) => string) => (bare ? [f(bare)] : [])

  // Each target's sign-ins are set against argon2 measured on the same core just before them.
  const one = (r: TargetResult) => r.ceilingOne ?? ceiling.one
  row(`argon2id verify ceiling, 1 core (just before the target's sign-ins) / 2 cores (at the start)`, '', [...onedoor.map((r) => `${fmtRate(one(r))} / ${fmtRate(ceiling.two)}`), ...bareCell((b) => fmtRate(one(b)))])
  row('code-flow logins/s, server on 1 core', '≥ 90 % of 1-core ceiling', [...onedoor, ...(bare ? [bare] : [])].map((r) => { const v = rateOf(r.logins1); return `${fmtRate(v)}${noiseOf(r.logins1)} (${pct(v / one(r))})${r === bare ? '' : verdict(v >= 0.9 * one(r))}` }))
  row('… first sign-in to the portal (consent page), 1 core', '≥ 90 % of 1-core ceiling', [...onedoor.map((r) => { const runs = r.loginsConsentPage ?? []; const v = rateOf(runs); return `${fmtRate(v)}${noiseOf(runs)} (${pct(v / one(r))})${verdict(v >= 0.9 * one(r))}` }), ...bareCell(() => '—')])
  row('code-flow logins/s, server on 2 cores', '≥ 90 % of 2-core ceiling', [...onedoor.map((r) => { const v = rateOf(r.logins2); return `${fmtRate(v)}${noiseOf(r.logins2)} (${pct(v / ceiling.two)})${verdict(v >= 0.9 * ceiling.two)}` }), ...bareCell(() => '—')])
  row('server CPU ms/login (argon2 verify alone ÷ this)', 'noise-robust view', [...onedoor, ...(bare ? [bare] : [])].map((r) => { const v = median(r.logins1.map((x) => x.cpuMicros ?? NaN)) / 1000; return `${ms(v)} (${pct(1000 / one(r) / v)})` }))
  row('main-thread CPU ms/login (all but argon2 and V8 helpers)', 'where the rest goes', [...onedoor, ...(bare ? [bare] : [])].map((r) => `${ms(median(r.logins1.map((x) => x.mainThreadMicros ?? NaN)) / 1000)}${r.loginsConsentPage ? ` (with the consent page ${ms(median(r.loginsConsentPage.map((x) => x.mainThreadMicros ?? NaN)) / 1000)})` : ''}`))
  row('server CPU ms/login, server on 2 cores (argon2 verify alone ÷ this)', 'noise-robust view', [...onedoor.map((r) => { const v = median(r.logins2.map((x) => x.cpuMicros ?? NaN)) / 1000; return `${ms(v)} (${pct(1000 / one(r) / v)})` }), ...bareCell(() => '—')])
  row('… first sign-in to the portal (consent page): server CPU ms/login', 'noise-robust view', [...onedoor.map((r) => { const v = median((r.loginsConsentPage ?? []).map((x) => x.cpuMicros ?? NaN)) / 1000; return `${ms(v)} (${pct(1000 / one(r) / v)})` }), ...bareCell(() => '—')])
  row('login p50 / p99 ms (1 core, closed loop)', '', [...onedoor, ...(bare ? [bare] : [])].map((r) => `${ms(median(r.logins1.map((x) => x.p50)))} / ${ms(median(r.logins1.map((x) => x.p99)))}`))
  for (const endpoint of ENDPOINTS) {
    const reference = bare ? rateOf(bare.peak[endpoint]) : NaN
    const needsRatio = endpoint !== 'introspection'
    row(`${ENDPOINT_NAMES[endpoint]}/s (peak)`, needsRatio ? '≥ 80 % of bare' : '(vs bare)', [
      ...onedoor.map((r) => { const v = rateOf(r.peak[endpoint]); const ratio = v / reference; return `${fmtRate(v)}${noiseOf(r.peak[endpoint])} (${pct(ratio)})${needsRatio && bare ? verdict(ratio >= 0.8) : ''}` }),
      ...bareCell((b) => `${fmtRate(rateOf(b.peak[endpoint]))}${noiseOf(b.peak[endpoint])}`),
    ])
    const bareCpu = bare ? median(bare.peak[endpoint].map((x) => x.cpuMicros ?? NaN)) : NaN
    row(`${ENDPOINT_NAMES[endpoint]} server CPU µs/op (bare ÷ this)`, 'noise-robust view', [
      ...onedoor.map((r) => { const v = median(r.peak[endpoint].map((x) => x.cpuMicros ?? NaN)); return `${ms(v)} (${pct(bareCpu / v)})` }),
      ...bareCell(() => ms(bareCpu)),
    ])
    row(`${ENDPOINT_NAMES[endpoint]} p50 / p99 ms at peak`, '', [...onedoor, ...(bare ? [bare] : [])].map((r) => `${ms(median(r.peak[endpoint].map((x) => x.p50)))} / ${ms(median(r.peak[endpoint].map((x) => x.p99)))}`))
    row(`${ENDPOINT_NAMES[endpoint]} p99 ms at 50 % of peak`, '< 50 ms', [...onedoor, ...(bare ? [bare] : [])].map((r) => { const h = r.half[endpoint]; return h ? `${ms(h.p99)} (p50 ${ms(h.p50)}, ${fmtRate(h.perSecond)}/s, main thread busy ${pct(mainThreadBusy(h))})${verdict(h.p99 < 50)}` : '—' }))
  }
  row('peak RSS of the server process (MiB)', '< 200 MB', [...onedoor, ...(bare ? [bare] : [])].map((r) => `${r.peakRssMiB.toFixed(0)}${verdict(r.peakRssMiB * 1.048576 < 200)}`))
  row(`cold start: spawn → /readyz 200, median of ${SIZES.coldStarts} (ms)`, '< 2 s', [...onedoor, ...(bare ? [bare] : [])].map((r) => { const m = median(r.coldStartMs); return `${ms(m)} (${r.coldStartMs.map((t) => t.toFixed(0)).join(', ')})${verdict(m < 2000)}` }))
  row('first start on an empty database (ms)', '', [...onedoor.map((r) => ms(r.firstStartMs)), ...bareCell(() => '—')])
  const errors = [...onedoor, ...(bare ? [bare] : [])].flatMap((r) => [...r.logins1, ...r.logins2, ...Object.values(r.peak).flat(), ...Object.values(r.half)].filter((x): x is LoadResult => !!x).map((x) => x.errors)).reduce((a, b) => a + b, 0)
  lines.push('')
  for (const failure of meta.failures) lines.push(`**Not measured: ${failure}**\n`)
  lines.push('Notes:')
  lines.push(`- Peak figures are medians of ${SIZES.runs} closed-loop run(s) of ${SIZES.seconds} s each after a warm-up; ±N% is half the spread (max − min) of the runs relative to the median. Ratios in parentheses are against the bare reference (endpoints) or the argon2 ceiling (logins): the 1-core ceiling is measured again on the server's core just before each target's sign-ins and each target's login ratios use that one, since this shared machine's speed drifts (by up to a third within one run). Requests that failed: ${errors}.`)
  lines.push('- Logins: one new cookie jar per sign-in, through the real login page (and the consent page where OneDoor shows it), then the code exchange (PKCE S256, client_secret_basic), counted as one login. The 16 seeded persons allowed the portal once, in the warm-up, so OneDoor remembers their consent and the sign-ins are those of returning residents; the "first sign-in" row sends prompt=consent, so every sign-in there passes the consent page as a person\'s first one to a portal does. The bare reference\'s sign-in is the minimal one (bench/bare-provider.ts): a login form, one argon2id verify at OneDoor\'s parameters, then login + a grant of the requested scopes, so it has no consent page; it applies OneDoor\'s rule of one argon2 verify per usable core (src/accounts/passwords.ts), so it shows what oidc-provider plus argon2 alone reach; it is measured on 1 core only. "2 cores" lets the server use both cores while the load generator keeps running on core 1, so it competes with the server there.')
  if (options.serverEnv.length > 0) lines.push(`- Extra server environment: ${options.serverEnv.join(' ')}.`)
  lines.push('- The 50 % phase sends at a fixed rate (half of the median peak) and measures latency from when each request was due, so queueing is not hidden.')
  lines.push('- Production-like: NODE_ENV=production, secrets from the environment, https issuer behind a TLS-terminating proxy (X-Forwarded-Proto: https, trustProxy), log level warn. The bare reference uses OneDoor\'s own provider configuration (same features, opaque tokens, TTLs, refresh policy), oidc-provider\'s MemoryAdapter, a static client and a static account.')
  lines.push(`- Server CPU per operation is the CPU time of all the server's threads (main + libuv pool, from /proc/PID/task/N/schedstat) divided by the operations completed. It is less sensitive than throughput to other processes on the machine (though contention still inflates it), so compare those ratios when the machine is busy. SQLite work happens inside the server and is counted; PostgreSQL's own processes are neither pinned nor counted.`)
  lines.push("- The machine is shared: figures move with other people's load (see the load averages above).")
  lines.push('')
  lines.push('## Paired runs: the ratios to trust on a drifting machine')
  lines.push('')
  lines.push(meta.paired)
  lines.push('')
  lines.push('## Logout fan-out (federation)')
  lines.push('')
  lines.push(meta.fanout)
  lines.push('')
  lines.push('## Several nodes (PostgreSQL, issue 6)')
  lines.push('')
  lines.push(meta.cluster)
  lines.push('')
  lines.push('## Accounts size: sign-in at 10^3 vs 10^6 accounts, sizing (PostgreSQL, issue 6)')
  lines.push('')
  lines.push(meta.accounts)
  lines.push('')
  return lines.join('\n')
}

type PairedOperation = 'login' | 'consentLogin' | Endpoint

interface LoadedServer {
  server: ServerProcess
  /** Every operation this server can be loaded with (the bare reference has no consent page). */
  ops: Partial<Record<PairedOperation, Operation>>
  connections: Connection[]
  stop: () => Promise<void>
}

function operationOf(loaded: LoadedServer, operation: string): Operation {
  const op = loaded.ops[operation as PairedOperation]
  if (!op) throw new Error(`unknown operation ${operation} (login, consentLogin, ${ENDPOINTS.join(', ')}; the bare reference has no consentLogin)`)
  return op
}

/**
 * A server of one kind, seeded and warmed up (sign-ins, then `warmUp` for 2 s), with the
 * connections and operations that load it. `extraEnv` and `nodeFlags` vary it (an A/B variant,
 * the profiler).
 */
async function startLoadedServer(kind: DbKind | 'bare', warmUp: string, extraEnv: Record<string, string>, nodeFlags: string[]): Promise<LoadedServer> {
  const port = await freePort()
  const target = kind === 'bare' ? undefined : prepareTarget(kind, port, options.pgUrl)
  if (target) Object.assign(target.env, extraServerEnv, extraEnv)
  const servers: ServerProcess[] = []
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    for (const s of servers) await s.stop()
    await target?.cleanup()
  }
  try {
    let server: ServerProcess
    let creds: Credentials
    let login: Operation
    let seeded: Seed | undefined
    if (target) {
      const first = spawnServer(ONEDOOR_SCRIPT, target.env, SERVER_CPU)
      servers.push(first)
      await waitReady(port, performance.now(), first)
      seeded = await seed(target, SIZES.persons)
      await first.stop()
      server = spawnServer(ONEDOOR_SCRIPT, target.env, SERVER_CPU, nodeFlags)
      servers.push(server)
      await waitReady(port, performance.now(), server)
      creds = { clientId: seeded.clientId, clientSecret: seeded.clientSecret, refreshTokens: [], accessTokens: [], issued: 0 }
      login = loginOperation(seeded, creds)
    } else {
      server = spawnServer(BARE_SCRIPT, { ...bareEnv(port), ...extraEnv }, SERVER_CPU, nodeFlags)
      servers.push(server)
      await waitReady(port, performance.now(), server)
      ;({ creds, login } = bareSignIn(server))
    }
    const connections = connectionsFor(httpsBehindProxy(port))
    await closedLoop(connections, login, { count: connections.length * 2 })
    const loaded: LoadedServer = {
      server,
      ops: { login, ...(seeded ? { consentLogin: consentPageLoginOperation(seeded) } : {}), ...operations(creds) },
      connections,
      stop: async () => {
        for (const c of connections) c.close()
        await stop()
      },
    }
    await closedLoop(connections, operationOf(loaded, warmUp), { seconds: 2 })
    return loaded
  } catch (err) {
    await stop()
    throw err
  }
}

/** --profile: one operation under load on a server running V8's sampling profiler ("bare": the reference). */
async function profileOperation(kind: DbKind | 'bare', operation: string): Promise<void> {
  const dir = path.join(ROOT, 'bench', 'results', 'profiles')
  mkdirSync(dir, { recursive: true })
  const name = `${kind}-${operation}-${Date.now()}`
  const profiler = !options.cpuProf ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`]
  // Here --server-env reaches the reference too (a diagnostic preload, say); elsewhere only OneDoor.
  const loaded = await startLoadedServer(kind, operation, kind === 'bare' ? extraServerEnv : {}, profiler)
  try {
    const { server, connections } = loaded
    const op = operationOf(loaded, operation)
    const r = await withCpu(server, () => (options.rate ? fixedRate(connections, op, options.rate, options.seconds) : closedLoop(connections, op, { seconds: options.seconds })))
    log(`${kind} ${operation}: ${r.perSecond.toFixed(1)}/s${options.rate ? ` (fixed rate ${options.rate}/s, main thread busy ${pct(mainThreadBusy(r))})` : ''}, p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, server CPU ${r.cpuMicros!.toFixed(0)} µs/op (main thread ${r.mainThreadMicros!.toFixed(0)}), peak RSS ${server.peakRssMiB().toFixed(0)} MiB (profiler ${options.cpuProf ? 'on' : 'off'})${r.errors ? `, errors ${r.errors} (${r.firstError})` : ''}`)
    await loaded.stop()
    if (!options.cpuProf) return
    // The profile also covers start-up and warm-up; those are small next to the measured run.
    const file = path.join(dir, `${name}.cpuprofile`)
    process.stdout.write(`\n## ${kind}: ${operation}\n${summariseProfile(file, r.ok)}\n(raw profile: ${path.relative(ROOT, file)})\n`)
  } finally {
    await loaded.stop()
  }
}

/**
 * --ab KEY=VALUE with --profile OP: two servers of one kind on core 0, A with the extra
 * environment and B without, loaded in turn for short slices. This machine's speed drifts by
 * a third within minutes, which swamps a 5 % change measured in two separate runs; slices a
 * second apart see the same drift, so the median of the per-slice ratios A/B is what the change did.
 */
async function abOperation(kind: DbKind | 'bare', operation: string, envA: Record<string, string>, flagsA: string[]): Promise<void> {
  const a = await startLoadedServer(kind, operation, envA, flagsA)
  const b = await startLoadedServer(kind, operation, {}, [])
  try {
    const slices = Math.max(4, Math.round(options.seconds))
    const cpu: Record<'a' | 'b', number[]> = { a: [], b: [] }
    const main: Record<'a' | 'b', number[]> = { a: [], b: [] }
    for (let i = 0; i < slices; i++) {
      // Alternate which goes first, so neither always follows the other's garbage collection.
      for (const which of i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
        const s = which === 'a' ? a : b
        const r = await withCpu(s.server, () => closedLoop(s.connections, operationOf(s, operation), { seconds: 1 }))
        if (r.errors) throw new Error(`${which}: ${r.errors} errors (${r.firstError})`)
        cpu[which].push(r.cpuMicros!)
        main[which].push(r.mainThreadMicros!)
      }
    }
    const ratios = (x: number[], y: number[]) => x.map((v, i) => v / y[i])
    const fmt = (v: number) => v.toFixed(0)
    log(`A/B ${kind} ${operation}, A = ${[...flagsA, ...Object.entries(envA).map(([k, v]) => `${k}=${v}`)].join(' ')}, ${slices} slices of 1 s each`)
    log(`  server CPU µs/op: A median ${fmt(median(cpu.a))}, B median ${fmt(median(cpu.b))}; A/B per slice median ${median(ratios(cpu.a, cpu.b)).toFixed(3)} (spread ${spread(ratios(cpu.a, cpu.b)).toFixed(2)})`)
    log(`  main thread µs/op: A median ${fmt(median(main.a))}, B median ${fmt(median(main.b))}; A/B per slice median ${median(ratios(main.a, main.b)).toFixed(3)}`)
  } finally {
    await a.stop()
    await b.stop()
  }
}

/**
 * Paired runs: every target (OneDoor on each database and the bare reference) running at once
 * on core 0, loaded in turn for short slices, round after round. This machine's speed drifts by
 * up to a third within minutes, so two targets measured minutes apart can differ by more than
 * what the code does; within one round they see the same machine, and the median of the
 * per-round ratios is the comparison to trust. Sign-ins are set against an argon2 ceiling
 * measured on the same core in the same round.
 */
async function pairedSection(kinds: DbKind[]): Promise<string> {
  const rounds = options.quick ? { endpoints: 3, logins: 2, sliceSeconds: 1, loginSeconds: 2 } : { endpoints: 8, logins: 5, sliceSeconds: 1, loginSeconds: 3 }
  const names: Record<DbKind | 'bare', string> = { sqlite: 'SQLite', pg: 'PostgreSQL', bare: 'bare oidc-provider' }
  const targets: { kind: DbKind | 'bare'; loaded: LoadedServer }[] = []
  try {
    for (const kind of [...kinds, ...(options.bare ? (['bare'] as const) : [])]) {
      log(`paired: starting ${names[kind]}`)
      targets.push({ kind, loaded: await startLoadedServer(kind, 'login', {}, []) })
    }
    const cpu = new Map<string, number[]>() // `${kind} ${operation}` → server CPU µs/op per round
    const mainThread = new Map<string, number[]>()
    const ceilingMs: number[] = []
    const ceilingRate: number[] = []
    const record = (kind: string, operation: string, r: LoadResult) => {
      if (r.errors) throw new Error(`${kind} ${operation}: ${r.errors} errors (${r.firstError})`)
      for (const [map, value] of [[cpu, r.cpuMicros!], [mainThread, r.mainThreadMicros!]] as const) map.set(`${kind} ${operation}`, [...(map.get(`${kind} ${operation}`) ?? []), value])
    }
    // Each round starts with a different target, so none always follows another's garbage.
    const inTurn = (round: number) => targets.map((_, i) => targets[(i + round) % targets.length])
    for (let round = 0; round < rounds.logins; round++) {
      // CPU per verify, not 1 / rate: the sign-ins are measured in CPU, and on a shared machine
      // the rate also loses whatever time the hypervisor gave to other tenants meanwhile.
      const alone = await argon2Alone(SERVER_CPU, 1, rounds.loginSeconds)
      ceilingMs.push(alone.cpuMsPerVerify)
      ceilingRate.push(alone.perSecond)
      for (const t of inTurn(round)) {
        for (const operation of ['login', ...(t.kind === 'bare' ? [] : ['consentLogin'])]) {
          record(t.kind, operation, await withCpu(t.loaded.server, () => closedLoop(t.loaded.connections, operationOf(t.loaded, operation), { seconds: rounds.loginSeconds })))
        }
      }
      log(`paired: sign-in round ${round + 1} of ${rounds.logins} done`)
    }
    for (const endpoint of ENDPOINTS) {
      for (const t of targets) await closedLoop(t.loaded.connections, operationOf(t.loaded, endpoint), { seconds: 1 })
      for (let round = 0; round < rounds.endpoints; round++) {
        for (const t of inTurn(round)) record(t.kind, endpoint, await withCpu(t.loaded.server, () => closedLoop(t.loaded.connections, operationOf(t.loaded, endpoint), { seconds: rounds.sliceSeconds })))
      }
      log(`paired: ${ENDPOINT_NAMES[endpoint]} done`)
    }

    const series = (map: Map<string, number[]>, kind: string, operation: string) => map.get(`${kind} ${operation}`) ?? []
    const ratioCell = (ratios: number[], target?: number) => {
      const m = median(ratios)
      return `**${pct(m)}** (${pct(Math.min(...ratios))}–${pct(Math.max(...ratios))})${target === undefined ? '' : verdict(m >= target)}`
    }
    const lines: string[] = []
    const cols = targets.map((t) => names[t.kind])
    lines.push(`| paired: median of per-round ratios (lowest–highest round) | target | ${cols.join(' | ')} |`)
    lines.push(`|---|---|${cols.map(() => '---:').join('|')}|`)
    const row = (metric: string, target: string, cell: (kind: DbKind | 'bare') => string) => lines.push(`| ${metric} | ${target} | ${targets.map((t) => cell(t.kind)).join(' | ')} |`)
    row('returning sign-in: one argon2 verify\'s CPU ÷ server CPU per sign-in (1 core)', '≥ 90 %', (kind) => ratioCell(series(cpu, kind, 'login').map((us, i) => (ceilingMs[i] * 1000) / us), kind === 'bare' ? undefined : 0.9))
    row('first sign-in (consent page): the same', '≥ 90 %', (kind) => (kind === 'bare' ? '—' : ratioCell(series(cpu, kind, 'consentLogin').map((us, i) => (ceilingMs[i] * 1000) / us), 0.9)))
    row('main-thread ms per returning sign-in (median)', '', (kind) => ms(median(series(mainThread, kind, 'login')) / 1000))
    for (const endpoint of ENDPOINTS) {
      const needsRatio = endpoint !== 'introspection'
      row(`${ENDPOINT_NAMES[endpoint]}: bare's server CPU per op ÷ this`, needsRatio ? '≥ 80 %' : '', (kind) => {
        if (kind === 'bare' || !options.bare) return `${ms(median(series(cpu, kind, endpoint)))} µs/op`
        const bare = series(cpu, 'bare', endpoint)
        return `${ratioCell(series(cpu, kind, endpoint).map((us, i) => bare[i] / us), needsRatio ? 0.8 : undefined)}, ${ms(median(series(cpu, kind, endpoint)))} µs/op`
      })
    }
    lines.push('')
    lines.push(`${rounds.logins} sign-in rounds (per round: argon2 alone for ${rounds.loginSeconds} s, then each target's sign-ins for ${rounds.loginSeconds} s each) and ${rounds.endpoints} rounds per endpoint (${rounds.sliceSeconds} s per target), every target on cpu ${SERVER_CPU}, the load from cpu ${LOAD_CPU}, ${options.connections} connections. argon2 alone: ${ceilingRate.map((v) => v.toFixed(1)).join(', ')} verifies/s and ${ceilingMs.map((v) => v.toFixed(1)).join(', ')} ms CPU per verify in the successive rounds; the sign-in rows set that CPU against the server's CPU per sign-in.`)
    return lines.join('\n')
  } catch (err) {
    log(`paired run failed: ${(err as Error).stack}`)
    return `_paired run failed: ${(err as Error).message}_`
  } finally {
    for (const t of targets) await t.loaded.stop()
  }
}

async function main(): Promise<void> {
  const started = new Date()
  const t0 = performance.now()
  const loadBefore = loadavg()
  if (options.profile !== undefined) {
    await buildServers()
    for (const kind of options.db.split(',') as (DbKind | 'bare')[]) {
      if (options.ab.length > 0 || options.abFlag.length > 0) await abOperation(kind, options.profile, envFrom(options.ab), options.abFlag)
      else await profileOperation(kind, options.profile)
    }
    return
  }
  if (options.only !== undefined) {
    if (options.only !== 'cluster' && options.only !== 'paired') throw new Error(`unknown part ${options.only} (cluster, paired)`)
    log(`${options.quick ? 'quick' : 'full'} run of one part: ${options.only}`)
    await buildServers()
    const part = options.only === 'cluster' ? `## Several nodes (PostgreSQL, issue 6)\n\n${await clusterSection()}` : `## Paired runs\n\n${await pairedSection(dbKinds())}`
    process.stdout.write(`\n${part}\n\n(--only: printed, not written to ${options.out})\n`)
    return
  }
  log(`${options.quick ? 'quick' : 'full'} run; databases ${options.db}; bare reference ${options.bare ? 'on' : 'off'}`)
  // Both servers run as plain JavaScript, as `npm start` runs OneDoor (scripts/build.js).
  await buildServers()
  const ceiling = { one: await argon2Ceiling(SERVER_CPU, 1), two: await argon2Ceiling(BOTH_CPUS, twoCores ? 2 : 1) }
  const kinds = dbKinds()
  const results: TargetResult[] = []
  const failures: string[] = []
  for (const kind of kinds) {
    try {
      results.push(await benchOneDoor(kind))
    } catch (err) {
      failures.push(`${kind}: ${(err as Error).message}`)
      log(`${kind} failed: ${(err as Error).stack}`)
    }
  }
  let bare: TargetResult | undefined
  try {
    bare = options.bare ? await benchBare() : undefined
  } catch (err) {
    failures.push(`bare reference: ${(err as Error).message}`)
    log(`bare reference failed: ${(err as Error).stack}`)
  }
  const paired = options.paired ? await pairedSection(kinds) : '_skipped (--no-paired)._'
  const fanout = await logoutFanout(kinds)
  const cluster = options.cluster && kinds.includes('pg') ? await clusterSection() : '_skipped (--no-cluster, or PostgreSQL not measured)._'
  const accounts = options.accountsSize && kinds.includes('pg') ? await accountsSizeSection() : '_skipped (--no-accounts-size, or PostgreSQL not measured)._'
  const markdown = report(results, bare, ceiling, { started, seconds: (performance.now() - t0) / 1000, loadBefore, loadAfter: loadavg(), paired, fanout, cluster, accounts, failures })
  const out = path.resolve(ROOT, options.out)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, markdown)
  process.stdout.write(`\n${markdown}\n(written to ${path.relative(ROOT, out)})\n`)
  if (failures.length > 0) process.exitCode = 1
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
