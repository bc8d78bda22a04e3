/*
 * Benchmark (issue 6): does sign-in stay as fast with a million accounts as with a thousand, and
 * what does a ten-million-account database need? Two PostgreSQL schemas are seeded with
 * `onedoor seed` (the real command, which also gives the seed rate): 10^3 and 10^6 persons, plus
 * a tenth as many enterprises. Then, alternating between the two so that machine noise hits both
 * alike:
 *   - every account lookup path through OneDoor's own store functions (blind index of the ID
 *     number, phone, the administrators' search by name, credit code), µs per lookup;
 *   - password sign-ins through the real login page of two OneDoor servers (one per schema) for
 *     random seeded accounts, by ID number and by phone: the POST of the login form until the
 *     consent page, which is the blind-index or phone lookup plus one argon2id verification.
 * Each lookup's SQL (captured from the store functions) is EXPLAINed on the large schema and
 * must use an index. Table and index sizes give bytes per account and the 10^7 sizing.
 *
 *   node_modules/.bin/node --import tsx bench/accounts-size.ts [--quick] [--pg-url URL] [--large N]
 *
 * --quick: 10^3 vs 5·10^4 and fewer sign-ins (a smoke run). bench/run.ts calls
 * measureAccountsSize() and formatAccountsSize(). Both schemas are dropped at the end.
 */
import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'
import { loadConfig } from '../src/config/index.js'
import { blindIndex, keyFromBase64, open } from '../src/shared/crypto.js'
import { createAdminStore } from '../src/store/admin.js'
import { createDb, type Db } from '../src/store/db.js'
import { createEnterpriseStore } from '../src/store/enterprises.js'
import { createPersonStore } from '../src/store/persons.js'
import { Browser, Connection } from './http.js'
import { median, percentile } from './load.js'
import { pkcePair, prepareTarget, REDIRECT_URI, seed as registerBenchClient, type OneDoorTarget } from './onedoor-target.js'
import { freePort, NODE, ROOT, spawnServer, waitReady, type ServerProcess } from './server.js'

const PASSWORD = 'bench seeded passphrase, correct horse'
const TARGET_RATIO = 1.1
/**
 * README "Sizing", for 10^7 persons + 10^6 enterprises: what the account tables and their indexes
 * may take on disk (twice the measured extrapolation: bloat from updates, index growth), and the
 * memory that keeps the indexes every sign-in walks cached. The benchmark checks both.
 */
export const DOCUMENTED_SIZING = { diskGiB: 12, hotIndexGiB: 4 } as const

export interface AccountsSizeOptions {
  pgUrl?: string
  quick?: boolean
  /** Persons in the large database (default 10^6, 5·10^4 with quick). */
  large?: number
  small?: number
  /** The server entry point (bench/run.ts passes its built dist/main.js); default src/main.ts through tsx. */
  serverScript?: string
  log?: (line: string) => void
}

export interface Latency {
  p50: number
  p99: number
  n: number
}

export interface PathFigures {
  path: string
  unit: 'µs' | 'ms'
  small: Latency
  large: Latency
}

export interface TableSize {
  table: string
  rows: number
  heapBytes: number
  indexBytes: number
  totalBytes: number
  indexes: { name: string; bytes: number }[]
}

export interface AccountsSizeFigures {
  small: number
  large: number
  seed: { persons: number; enterprises: number; seconds: number; personsPerSecond: number }
  lookups: PathFigures[]
  signIns: PathFigures[]
  plans: { path: string; plan: string; usesIndex: boolean }[]
  tables: TableSize[]
}

interface Sample {
  idNumber: string
  phone: string
  name: string
  uscc: string
}

interface Side {
  label: 'small' | 'large'
  persons: number
  target: OneDoorTarget
  db: Db
  samples: Sample[]
  server?: ServerProcess
  port: number
  clientId?: string
}

export async function measureAccountsSize(options: AccountsSizeOptions = {}): Promise<AccountsSizeFigures> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[accounts-size] ${line}\n`))
  const pgUrl = options.pgUrl ?? 'postgres://127.0.0.1:5432/test'
  const sizes = { small: options.small ?? 1000, large: options.large ?? (options.quick ? 50_000 : 1_000_000) }
  const signInsPerPath = options.quick ? 40 : 250
  const lookupsPerPath = options.quick ? 500 : 2000
  const sides: Side[] = []
  try {
    for (const [label, persons] of [['small', sizes.small], ['large', sizes.large]] as const) {
      const port = await freePort()
      const target = prepareTarget('pg', port, pgUrl)
      sides.push({ label, persons, target, port, db: createDb(loadConfig({ env: target.env }).db), samples: [] })
    }
    let seedFigures: AccountsSizeFigures['seed'] | undefined
    for (const side of sides) {
      log(`seeding ${side.persons} persons and ${side.persons / 10} enterprises (onedoor seed)`)
      const report = await seedWithCli(side.target, side.persons)
      if (side.label === 'large') seedFigures = { persons: report.persons.created, enterprises: report.enterprises.created, seconds: report.seconds, personsPerSecond: report.persons.created / report.seconds }
      log(`${side.label}: ${report.persons.created} persons, ${report.enterprises.created} enterprises in ${report.seconds.toFixed(1)} s`)
      await side.db.raw('analyze persons')
      await side.db.raw('analyze enterprises')
      side.samples = await sampleAccounts(side.db, side.target, Math.max(signInsPerPath * 2, 400))
    }
    const [small, large] = sides
    log('EXPLAIN of every lookup path (large database)')
    const plans = await explainLookups(large)
    log('lookups through the store functions, alternating between the databases')
    const lookups = await measureLookups(small, large, lookupsPerPath)
    log('password sign-ins through the login page, alternating between two servers')
    const signIns = await measureSignIns(small, large, signInsPerPath, options.serverScript ?? 'src/main.ts')
    const tables = await tableSizes(large.db)
    return { ...sizes, seed: seedFigures!, lookups, signIns, plans, tables }
  } finally {
    for (const side of sides) {
      await side.server?.stop()
      await side.db.destroy()
      await side.target.cleanup()
    }
  }
}

interface SeedJson {
  persons: { created: number }
  enterprises: { created: number }
  seconds: number
}

/** Runs `onedoor seed` as an operator would (progress lines pass through to stderr). */
function seedWithCli(target: OneDoorTarget, persons: number): Promise<SeedJson> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'seed', '--persons', String(persons), '--enterprises', String(Math.floor(persons / 10)), '--password', PASSWORD, '--seed', '6', '--batch-size', '10000', '--allow-production', '--json']
  const child = spawn(NODE, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...target.env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as SeedJson) : reject(new Error(`onedoor seed exited with ${code}`))))
  })
}

/** Random seeded accounts with their clear identifiers (opened with the configured key, as the server would). */
async function sampleAccounts(db: Db, target: OneDoorTarget, count: number): Promise<Sample[]> {
  const key = keyFromBase64(target.env.ONEDOOR_PII_ENCRYPTION_KEY)
  const persons = await db('persons').select('id', 'id_number_sealed', 'phone', 'name').orderByRaw('random()').limit(count)
  const usccs = (await db('enterprises').select('uscc').orderByRaw('random()').limit(count)).map((r) => String(r.uscc))
  return persons.map((p, i) => ({ idNumber: open(key, p.id_number_sealed, `id-number:${p.id}`), phone: p.phone, name: p.name, uscc: usccs[i % usccs.length] }))
}

type LookupPath = { path: string; run: (sample: Sample) => Promise<unknown> }

/** The lookups sign-in, registration and administration make, through the real store functions. */
function lookupPaths(side: Side): LookupPath[] {
  const indexKey = keyFromBase64(side.target.env.ONEDOOR_PII_BLIND_INDEX_KEY)
  const persons = createPersonStore(side.db)
  const enterprises = createEnterpriseStore(side.db)
  const admin = createAdminStore(side.db)
  const index = (s: Sample) => blindIndex(indexKey, s.idNumber, 'id-number')
  return [
    { path: 'person by ID number (blind index)', run: (s) => persons.findByIdNumberIndex(index(s)) },
    { path: 'person by phone', run: (s) => persons.findByPhone(s.phone) },
    { path: 'legal representative by ID number (blind index)', run: (s) => enterprises.findPersonIdByIdNumberIndex(index(s)) },
    { path: 'admin search by ID number', run: (s) => admin.searchPersons({ idNumberIndex: index(s), limit: 50 }) },
    { path: 'admin search by phone', run: (s) => admin.searchPersons({ phone: s.phone, limit: 50 }) },
    { path: 'admin search by full name', run: (s) => admin.searchPersons({ name: s.name, limit: 200 }) },
    { path: 'enterprise by credit code', run: (s) => enterprises.findEnterpriseByUscc(s.uscc) },
  ]
}

async function explainLookups(side: Side): Promise<AccountsSizeFigures['plans']> {
  const plans: AccountsSizeFigures['plans'] = []
  for (const lookup of lookupPaths(side)) {
    const queries: { sql: string; bindings: readonly unknown[] }[] = []
    const listener = (q: { sql: string; bindings?: readonly unknown[] }) => queries.push({ sql: q.sql, bindings: q.bindings ?? [] })
    side.db.on('query', listener)
    await lookup.run(side.samples[0])
    side.db.removeListener('query', listener)
    for (const q of queries) {
      // The event shows PostgreSQL's $n placeholders; knex numbers them in binding order.
      const rows = (await side.db.raw(`explain ${q.sql.replace(/\$\d+/g, '?')}`, q.bindings as Knex.RawBinding[])).rows as { 'QUERY PLAN': string }[]
      const plan = rows.map((r) => r['QUERY PLAN'].trim().replace(/^->\s+/, '→ ')).join(' / ')
      plans.push({ path: lookup.path, plan: plan.replace(/\s*\(cost=[^)]*\)/g, ''), usesIndex: /Index (Only )?Scan|Bitmap Index Scan/.test(plan) && !/Seq Scan on (persons|enterprises)/.test(plan) })
    }
  }
  return plans
}

async function measureLookups(small: Side, large: Side, count: number): Promise<PathFigures[]> {
  const smallPaths = lookupPaths(small)
  const largePaths = lookupPaths(large)
  const figures: PathFigures[] = []
  for (let p = 0; p < smallPaths.length; p += 1) {
    const times = { small: [] as number[], large: [] as number[] }
    for (let i = 0; i < count + 50; i += 1) {
      for (const [side, paths] of i % 2 === 0 ? ([[small, smallPaths], [large, largePaths]] as const) : ([[large, largePaths], [small, smallPaths]] as const)) {
        const sample = side.samples[i % side.samples.length]
        const t0 = performance.now()
        await paths[p].run(sample)
        if (i >= 50) times[side.label].push((performance.now() - t0) * 1000) // the first 50 warm up
      }
    }
    figures.push({ path: smallPaths[p].path, unit: 'µs', small: latency(times.small), large: latency(times.large) })
  }
  return figures
}

async function measureSignIns(small: Side, large: Side, count: number, script: string): Promise<PathFigures[]> {
  for (const side of [small, large]) {
    const { clientId } = await registerBenchClient(side.target, 0)
    side.clientId = clientId
    const started = performance.now()
    side.server = spawnServer(script, side.target.env, '0')
    await waitReady(side.port, started, side.server)
  }
  const connections = new Map([small, large].map((side) => [side.label, new Connection({ origin: `http://127.0.0.1:${side.port}`, issuer: `https://127.0.0.1:${side.port}`, headers: { 'x-forwarded-proto': 'https', host: `127.0.0.1:${side.port}` } })]))
  const figures: PathFigures[] = []
  try {
    for (const [path, identifierOf] of [['password sign-in by ID number', (s: Sample) => s.idNumber], ['password sign-in by phone', (s: Sample) => s.phone]] as const) {
      const times = { small: [] as number[], large: [] as number[] }
      for (let i = 0; i < count + 10; i += 1) {
        // Which database goes first alternates too, so neither always follows the other's work.
        for (const side of i % 2 === 0 ? [small, large] : [large, small]) {
          const ms = await timedSignIn(connections.get(side.label)!, side.clientId!, identifierOf(side.samples[(i * 7) % side.samples.length]), i)
          if (i >= 10) times[side.label].push(ms) // the first 10 warm up
        }
      }
      figures.push({ path, unit: 'ms', small: latency(times.small), large: latency(times.large) })
    }
  } finally {
    for (const c of connections.values()) c.close()
  }
  return figures
}

/** The login POST of one sign-in (identifier lookup + argon2id), until the consent page. */
async function timedSignIn(connection: Connection, clientId: string, identifier: string, index: number): Promise<number> {
  const browser = new Browser(connection)
  const { challenge } = pkcePair()
  const query = new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: `s${index}`, nonce: `n${index}`, code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent' })
  const page = await browser.navigate(`/auth?${query}`)
  const t0 = performance.now()
  const next = await browser.submit(page, '/login', { identifier, password: PASSWORD })
  const ms = performance.now() - t0
  if (!next.page?.body.includes('/confirm')) throw new Error(`sign-in of a seeded account did not reach the consent page (${next.url.pathname}, HTTP ${next.page?.status})`)
  return ms
}

async function tableSizes(db: Db): Promise<TableSize[]> {
  const out: TableSize[] = []
  for (const table of ['persons', 'enterprises']) {
    const sizes = (await db.raw('select pg_relation_size(?::regclass) as heap, pg_indexes_size(?::regclass) as indexes, pg_total_relation_size(?::regclass) as total', [table, table, table])).rows[0]
    const rows = Number((await db(table).count({ n: '*' }))[0].n)
    const indexes = (await db.raw('select indexrelid::regclass::text as name, pg_relation_size(indexrelid) as bytes from pg_index where indrelid = ?::regclass order by 2 desc', [table])).rows as { name: string; bytes: string }[]
    out.push({ table, rows, heapBytes: Number(sizes.heap), indexBytes: Number(sizes.indexes), totalBytes: Number(sizes.total), indexes: indexes.map((i) => ({ name: i.name.replace(/^.*\./, ''), bytes: Number(i.bytes) })) })
  }
  return out
}

function latency(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort()
  return { p50: median(values), p99: percentile(sorted, 0.99), n: values.length }
}

// ---------------------------------------------------------------- report

const MiB = 1024 * 1024
const num = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1))
const ratioCell = (small: number, large: number, target?: number) => `${(large / small).toFixed(2)}×${target === undefined ? '' : large / small <= target ? ' ✅' : ' ❌'}`

/** The 10^7 sizing from measured bytes per row: 10^7 persons and 10^6 enterprises. */
export function sizingFor(tables: TableSize[], persons = 10_000_000, enterprises = 1_000_000) {
  const per = (t: string, f: (x: TableSize) => number) => { const x = tables.find((y) => y.table === t)!; return f(x) / Math.max(1, x.rows) }
  const diskBytes = per('persons', (t) => t.totalBytes) * persons + per('enterprises', (t) => t.totalBytes) * enterprises
  // Sign-in and lookups touch the unique indexes and the primary keys, not the whole heap.
  const hot = (t: TableSize) => t.indexes.filter((i) => /pkey|unique|name/.test(i.name)).reduce((a, i) => a + i.bytes, 0)
  const hotIndexBytes = per('persons', hot) * persons + per('enterprises', hot) * enterprises
  return { persons, enterprises, diskBytes, hotIndexBytes }
}

export function formatAccountsSize(f: AccountsSizeFigures): string {
  const lines: string[] = []
  const small = f.small.toLocaleString('en')
  const large = f.large.toLocaleString('en')
  lines.push(`Seeded with \`onedoor seed\` on PostgreSQL: ${f.seed.persons.toLocaleString('en')} persons + ${f.seed.enterprises.toLocaleString('en')} enterprises in ${f.seed.seconds.toFixed(0)} s (**${f.seed.personsPerSecond.toFixed(0)} persons/s**, enterprises included).`)
  lines.push('')
  lines.push(`| path | ${small} accounts p50 / p99 | ${large} accounts p50 / p99 | ratio of medians (p99) | target |`)
  lines.push('|---|---:|---:|---:|---|')
  for (const s of f.signIns) lines.push(`| ${s.path} (ms, n=${s.small.n}) | ${num(s.small.p50)} / ${num(s.small.p99)} | ${num(s.large.p50)} / ${num(s.large.p99)} | ${ratioCell(s.small.p50, s.large.p50, TARGET_RATIO)} (${ratioCell(s.small.p99, s.large.p99)}) | within 10 % |`)
  for (const s of f.lookups) lines.push(`| ${s.path} (µs, n=${s.small.n}) | ${num(s.small.p50)} / ${num(s.small.p99)} | ${num(s.large.p50)} / ${num(s.large.p99)} | ${ratioCell(s.small.p50, s.large.p50)} (${ratioCell(s.small.p99, s.large.p99)}) | index, no scan |`)
  lines.push('')
  lines.push(`EXPLAIN at ${large} accounts (every lookup must use an index):`)
  lines.push('')
  for (const p of f.plans) lines.push(`- ${p.usesIndex ? '✅' : '❌'} ${p.path}: \`${p.plan}\``)
  lines.push('')
  lines.push(`| table at ${large} | rows | heap MiB | indexes MiB | total MiB | bytes per row | largest indexes (MiB) |`)
  lines.push('|---|---:|---:|---:|---:|---:|---|')
  for (const t of f.tables) lines.push(`| ${t.table} | ${t.rows.toLocaleString('en')} | ${(t.heapBytes / MiB).toFixed(1)} | ${(t.indexBytes / MiB).toFixed(1)} | ${(t.totalBytes / MiB).toFixed(1)} | ${(t.totalBytes / Math.max(1, t.rows)).toFixed(0)} | ${t.indexes.map((i) => `${i.name} ${(i.bytes / MiB).toFixed(1)}`).join(', ')} |`)
  const sizing = sizingFor(f.tables)
  lines.push('')
  const disk = sizing.diskBytes / 1024 ** 3
  const hot = sizing.hotIndexBytes / 1024 ** 3
  lines.push(`Sizing by linear extrapolation to ${sizing.persons.toLocaleString('en')} persons + ${sizing.enterprises.toLocaleString('en')} enterprises: **${disk.toFixed(1)} GiB** of tables and indexes (before bloat and WAL; documented budget ${DOCUMENTED_SIZING.diskGiB} GiB${disk <= DOCUMENTED_SIZING.diskGiB ? ' ✅' : ' ❌'}), of which **${hot.toFixed(1)} GiB** are the indexes every sign-in and lookup walks (primary keys, unique ID-number blind index, phone, credit code, name; documented cache ${DOCUMENTED_SIZING.hotIndexGiB} GiB${hot <= DOCUMENTED_SIZING.hotIndexGiB ? ' ✅' : ' ❌'}).`)
  lines.push('')
  lines.push('Sign-ins alternate between two OneDoor servers (one per database, each pinned to cpu 0) on one keep-alive connection each; the time is the login form POST until the consent page (lookup + one argon2id verification). Store lookups alternate between the databases in this process. The machine is shared: compare the ratios, not the absolute figures.')
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const figures = await measureAccountsSize({ quick: process.argv.includes('--quick'), pgUrl: arg('--pg-url'), large: arg('--large') ? Number(arg('--large')) : undefined })
  process.stdout.write(`${formatAccountsSize(figures)}\n`)
}
