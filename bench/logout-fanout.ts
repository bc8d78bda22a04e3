/*
 * Benchmark: one logout notifying 138 portals (the whole federation manifest) with 10 % of
 * them down. OneDoor runs in this process on a fresh database; each portal is its own HTTP
 * server on 127.0.0.1. One person signs in once and reaches every portal (SSO), then logs out
 * at OneDoor's logout page. Measured: the person's wait (the POST that ends the session), and
 * the time until every live portal holds its logout token. Two ways of being down: refused
 * (port closed: fails at once) and black-holed (accepts, never answers: runs into the timeout).
 * Target: under 2 s for the person, every live portal notified, every down portal queued.
 *
 *   node_modules/.bin/node --import tsx bench/logout-fanout.ts [--db sqlite|pg|sqlite,pg] [--down 0.1]
 *
 * bench/run.ts calls measureLogoutFanout() and formatLogoutFanout().
 */
import { fork } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createOneDoor, type OneDoor } from '../src/app.js'
import { loadConfig, PROJECT_ROOT } from '../src/config/index.js'
import { readManifest, syncFederation } from '../src/federation/index.js'
import { createDb } from '../src/store/db.js'

const NODE = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node')

export type DownMode = 'refused' | 'black-holed'

export interface LogoutFanoutOptions {
  db?: 'sqlite' | 'pg'
  pgUrl?: string
  /** Share of portals down (default 0.1). */
  downFraction?: number
  /** How the down portals fail (default: both, one logout each). */
  modes?: DownMode[]
}

export interface LogoutFanoutFigures {
  db: 'sqlite' | 'pg'
  mode: DownMode
  portals: number
  down: number
  /** The person's wait: the logout POST, from send to OneDoor's answer. */
  userWaitMs: number
  /** From the logout POST until the last live portal received its token. */
  allLiveNotifiedMs: number
  liveNotified: number
  /** Down portals whose delivery is queued for retry once the fan-out has settled. */
  queued: number
  /** Configured bound on the person's wait, and per-portal timeout. */
  boundMs: number
  timeoutMs: number
  ok: boolean
}

const TARGET_MS = 2000

export async function measureLogoutFanout(options: LogoutFanoutOptions = {}): Promise<LogoutFanoutFigures[]> {
  const figures: LogoutFanoutFigures[] = []
  for (const mode of options.modes ?? (['refused', 'black-holed'] as DownMode[])) {
    figures.push(await measureOnce(options.db ?? 'sqlite', mode, options))
  }
  return figures
}

async function measureOnce(kind: 'sqlite' | 'pg', mode: DownMode, options: LogoutFanoutOptions): Promise<LogoutFanoutFigures> {
  const pgUrl = options.pgUrl ?? 'postgres://127.0.0.1:5432/test'
  const dataDir = mkdtempSync(path.join(tmpdir(), 'onedoor-bench-logout-'))
  const schema = `bench_logout_${randomBytes(4).toString('hex')}`
  const portals = await startPortalProcess(138)
  const onedoorPort = await freePort()
  const config = loadConfig({
    env: {
      NODE_ENV: 'development',
      ONEDOOR_DATA_DIR: dataDir,
      PORT: String(onedoorPort),
      ISSUER: `http://127.0.0.1:${onedoorPort}`,
      ONEDOOR_LOG_LEVEL: 'silent',
      ...(kind === 'pg' ? { DATABASE_URL: pgUrl, ONEDOOR_DB_SCHEMA: schema } : { DATABASE_URL: path.join(dataDir, 'onedoor.sqlite') }),
    },
    // The job must not retry behind the measurement's back.
    overrides: { backchannelLogout: { retry: { intervalSeconds: 3600 } } },
  })
  let onedoor: OneDoor | undefined
  try {
    onedoor = await createOneDoor(config)
    const manifest = await readManifest(path.join(PROJECT_ROOT, 'config', 'federation', 'manifest.json'))
    const systems = manifest.systems.slice(0, portals.urls.length).map((s, i) => ({
      ...s,
      redirectUris: [`http://127.0.0.1:9/${s.clientId}/callback`],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: portals.urls[i],
    }))
    await syncFederation(onedoor.services.federation, { ...manifest, systems }, { requireHttps: false })
    const password = 'Bench-Logout-Fanout-2026'
    const idNumber = withCheckDigit('23010219850611123')
    const person = await onedoor.services.persons.registerPerson({ name: '压测用户', idNumber, phone: '13900000000', password }, { phoneVerified: true })
    await onedoor.listen(onedoorPort, '127.0.0.1')

    const browser = new Jar()
    await signInEverywhere(browser, config.issuer, systems.map((s) => s.clientId), idNumber, password)

    const count = portals.urls.length
    const downCount = Math.round(count * (options.downFraction ?? 0.1))
    const down = [...Array(count).keys()].filter((i) => downCount > 0 && i % Math.floor(count / downCount) === 0).slice(0, downCount)
    await portals.goDown(down, mode)
    const live = [...Array(count).keys()].filter((i) => !down.includes(i))

    const logoutPage = await browser.request(`${config.issuer}/session/end`)
    const form = hiddenFields(await logoutPage.text(), '/session/end/confirm')
    const started = epochNow()
    const answer = await browser.request(`${config.issuer}/session/end/confirm`, { method: 'POST', form: { ...form, logout: 'yes' } })
    const userWaitMs = epochNow() - started
    if (answer.status !== 303) throw new Error(`logout answered ${answer.status}`)
    await onedoor.logout.drain()
    const received = await portals.report()
    const allLiveNotifiedMs = Math.max(...live.map((i) => received[i].firstAt ?? Number.POSITIVE_INFINITY)) - started
    const queued = (await onedoor.logout.deliveries({ accountId: person.id, status: 'pending' })).length
    const liveNotified = live.filter((i) => received[i].tokens === 1).length
    return {
      db: kind,
      mode,
      portals: count,
      down: down.length,
      userWaitMs,
      allLiveNotifiedMs,
      liveNotified,
      queued,
      boundMs: config.backchannelLogout.userWaitMs,
      timeoutMs: config.backchannelLogout.timeoutMs,
      ok: userWaitMs < TARGET_MS && liveNotified === live.length && queued === down.length,
    }
  } finally {
    await onedoor?.close(0)
    await portals.close()
    if (kind === 'pg') {
      const db = createDb({ client: 'pg', url: pgUrl, poolMax: 1, sqliteSynchronous: 'NORMAL' })
      await db.raw('drop schema if exists ?? cascade', [schema]).finally(() => db.destroy())
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export function formatLogoutFanout(figures: LogoutFanoutFigures[]): string {
  const lines = [
    '| database | down portals | person waits | all live portals notified | live notified | queued for retry | target (< 2 s, all live notified) |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...figures.map((f) =>
      `| ${f.db} | ${f.down} of ${f.portals}, ${f.mode} | ${f.userWaitMs.toFixed(0)} ms | ${f.allLiveNotifiedMs.toFixed(0)} ms | ${f.liveNotified} / ${f.portals - f.down} | ${f.queued} / ${f.down} | ${f.ok ? 'met' : 'NOT met'} |`,
    ),
    '',
    `Bound on the person's wait ${figures[0]?.boundMs ?? '?'} ms; per-portal timeout ${figures[0]?.timeoutMs ?? '?'} ms.`,
  ]
  return lines.join('\n')
}

// --- portals (a child process) -----------------------------------------------------------

interface PortalProcess {
  urls: string[]
  goDown(indices: number[], mode: DownMode): Promise<void>
  /** Per portal: tokens received, and when the first arrived (epoch ms, high resolution). */
  report(): Promise<{ tokens: number; firstAt?: number }[]>
  close(): Promise<void>
}

type ChildMessage = { type: 'ready'; urls: string[] } | { type: 'ok' } | { type: 'report'; portals: { tokens: number; firstAt?: number }[] }

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
function epochNow(): number {
  return performance.timeOrigin + performance.now()
}

async function startPortalProcess(count: number): Promise<PortalProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--portal-child', String(count)], { execPath: NODE, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ask = (message: unknown) =>
    new Promise<ChildMessage>((resolve, reject) => {
      child.once('message', (m) => resolve(m as ChildMessage))
      child.once('error', reject)
      if (message !== undefined) child.send(message as object)
    })
  const ready = await ask(undefined)
  if (ready.type !== 'ready') throw new Error('portal process did not start')
  return {
    urls: ready.urls,
    async goDown(indices, mode) {
      await ask({ type: 'down', indices, mode })
    },
    async report() {
      const answer = await ask({ type: 'report' })
      if (answer.type !== 'report') throw new Error('portal process did not report')
      return answer.portals
    },
    async close() {
      child.kill()
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)))
    },
  }
}

/** The child: `count` HTTP servers receiving logout tokens; answers the parent over IPC. */
async function runPortalChild(count: number): Promise<void> {
  const portals = await Promise.all(Array.from({ length: count }, () => startPortal()))
  process.on('message', async (message: { type: string; indices?: number[]; mode?: DownMode }) => {
    if (message.type === 'down') {
      for (const i of message.indices ?? []) await portals[i].goDown(message.mode ?? 'refused')
      process.send!({ type: 'ok' })
    } else if (message.type === 'report') {
      process.send!({ type: 'report', portals: portals.map((p) => ({ tokens: p.tokens, firstAt: p.firstAt })) })
    }
  })
  process.send!({ type: 'ready', urls: portals.map((p) => p.url) })
}

interface BenchPortal {
  url: string
  tokens: number
  firstAt?: number
  goDown(mode: DownMode): Promise<void>
}

async function startPortal(): Promise<BenchPortal> {
  let blackHoled = false
  const portal: BenchPortal = {
    url: '',
    tokens: 0,
    async goDown(mode) {
      if (mode === 'black-holed') blackHoled = true
      else {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      }
    },
  }
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (blackHoled) return // never answers; OneDoor's per-portal timeout ends the request
      if (new URLSearchParams(body).get('logout_token')) {
        portal.tokens += 1
        portal.firstAt ??= epochNow()
      }
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  portal.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`
  return portal
}

// --- a minimal browser: cookies, redirects, the login and consent forms ---------------------

class Jar {
  private cookies = new Map<string, string>()

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html' }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.form ? new URLSearchParams(init.form) : undefined, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair.indexOf('=')
      const value = pair.slice(eq + 1)
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, eq))
      else this.cookies.set(pair.slice(0, eq), value)
    }
    return response
  }
}

/** Signs in at the first portal with the password, then reaches every other one through the session. */
async function signInEverywhere(jar: Jar, issuer: string, clientIds: string[], identifier: string, password: string): Promise<void> {
  for (const clientId of clientIds) {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    let url = `${issuer}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: `http://127.0.0.1:9/${clientId}/callback`, code_challenge: challenge, code_challenge_method: 'S256', state: 'bench' })}`
    let form: { action: string; fields: Record<string, string> } | undefined
    for (let hop = 0; hop < 20; hop += 1) {
      const response = form ? await jar.request(form.action, { method: 'POST', form: form.fields }) : await jar.request(url)
      form = undefined
      const location = response.headers.get('location')
      if (location) {
        url = new URL(location, url).toString()
        await response.body?.cancel()
        if (url.startsWith('http://127.0.0.1:9/')) break
        continue
      }
      const page = await response.text()
      const login = page.match(/action="([^"]*\/login)"/)
      const consent = page.match(/action="([^"]*\/confirm)"/)
      if (login) form = { action: new URL(login[1], url).toString(), fields: { ...hiddenFields(page, login[1]), identifier, password } }
      else if (consent) form = { action: new URL(consent[1], url).toString(), fields: hiddenFields(page, consent[1]) }
      else throw new Error(`unexpected page ${response.status} at ${url}`)
    }
    if (!url.startsWith('http://127.0.0.1:9/') || !url.includes('code=')) throw new Error(`no code for ${clientId}: ${url}`)
  }
}

function hiddenFields(page: string, actionPart: string): Record<string, string> {
  const form = (page.match(/<form[\s\S]*?<\/form>/g) ?? []).find((f) => f.includes(actionPart)) ?? ''
  const fields: Record<string, string> = {}
  for (const input of form.match(/<input[^>]*type="hidden"[^>]*>/g) ?? []) {
    const name = /name="([^"]*)"/.exec(input)?.[1]
    if (name) fields[name] = (/value="([^"]*)"/.exec(input)?.[1] ?? '').replace(/&amp;/g, '&')
  }
  return fields
}

/** GB 11643 check digit appended. */
function withCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  return first17 + '10X98765432'[[...first17].reduce((acc, ch, i) => acc + Number(ch) * weights[i], 0) % 11]
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = http.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--portal-child')) {
  await runPortalChild(Number(process.argv[process.argv.indexOf('--portal-child') + 1]))
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const dbs = (arg('--db') ?? 'sqlite').split(',') as ('sqlite' | 'pg')[]
  const all: LogoutFanoutFigures[] = []
  for (const db of dbs) all.push(...(await measureLogoutFanout({ db, downFraction: Number(arg('--down') ?? 0.1) })))
  process.stdout.write(`\nOne logout, ${all[0]?.portals ?? 138} portals\n\n${formatLogoutFanout(all)}\n`)
  process.exit(all.every((f) => f.ok) ? 0 : 1)
}
