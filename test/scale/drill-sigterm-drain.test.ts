/*
 * Fault drill 3 (issue 6): SIGTERM while 100 requests are in flight. Readiness goes false first
 * (a /readyz poll sees 503 while the node still serves, so a load balancer stops routing to it),
 * every in-flight request completes with its normal answer, and the process exits 0 within
 * 10 s. Nothing is lost: each completed sign-in has its audit record.
 *
 * In flight at SIGTERM, for real: token requests from slow clients whose bodies are still
 * arriving (they finish after the signal), and login form posts queued inside the node (each
 * verifies an argon2 hash, at most passwords.maxConcurrentHashes at once). SIGTERM goes out as
 * soon as the first login has come back, so the node is busy with the rest.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { assertNothingLost, countDurableRows } from '../helpers/durable-counts.js'
import type { NodeProcess } from '../../src/cluster/index.js'
import { seedDrillData, startDrillNode, type DrillData, type Portal } from '../helpers/drill-fixture.js'
import { createTestDatabase, type TestDatabase } from '../helpers/onedoor.js'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { basicAuth, eventually } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

const SIGN_INS = 40
const TOKEN_REQUESTS = 60
const IN_FLIGHT = SIGN_INS + TOKEN_REQUESTS

interface LoginForm {
  agent: UserAgent
  page: PageResponse
  credentials: { identifier: string; password: string }
}

describe('fault drill: SIGTERM during 100 in-flight requests', function () {
  this.timeout(150_000)

  let database: TestDatabase
  let data: DrillData | undefined
  let node: NodeProcess | undefined

  before(async () => {
    database = createTestDatabase()
    data = await seedDrillData(database.env, { persons: 4 })
    // The production readiness delay (config/default.json), not the shorter one of config/test.json.
    const configFile = path.join(database.dataDir, 'drill.json')
    writeFileSync(configFile, JSON.stringify({ shutdown: { readinessDelaySeconds: 2 } }))
    node = await startDrillNode({ ...database.env, ONEDOOR_CONFIG_FILE: configFile })
  })
  after(async () => {
    await node?.stop()
    await data?.close()
    await database?.drop()
  })

  it('stops being ready first, completes every in-flight request, and exits 0 within 10 s', async () => {
    const { portals, persons, machine } = data!
    const url = node!.url
    const forms = await openLoginForms(url, portals[0], persons, SIGN_INS)
    const before = await countDurableRows(data!.db)
    const signInsBefore = await countAudit(data!, 'auth.login.succeeded')

    const readiness: { at: number; status: number }[] = []
    let polling = true
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined)
        readiness.push({ at: Date.now(), status: res?.status ?? 0 })
        await res?.body?.cancel()
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    })()

    let completed = 0
    const settle = async <T>(request: Promise<T>): Promise<{ answer?: T; error?: Error }> => {
      try {
        return { answer: await request }
      } catch (err) {
        return { error: err as Error }
      } finally {
        completed += 1
      }
    }
    // Token requests first: by the time a sign-in has come back, the node has accepted them.
    const slowClients = Array.from({ length: TOKEN_REQUESTS }, () => startSlowTokenRequest(url, machine))
    const tokens = slowClients.map((request) => settle(request.response))
    const atResume = (target: URL) => target.pathname.startsWith('/auth/')
    const signIns = forms.map((form) => settle(form.agent.submit(form.page, '/login', form.credentials, atResume)))
    // A sign-in has come back: the rest are queued inside the node, genuinely in flight.
    let signInsDone = 0
    for (const signIn of signIns) void signIn.then(() => (signInsDone += 1))
    await eventually(async () => (signInsDone > 0 ? true : undefined), 'the first sign-in to complete', 600)
    const outstanding = IN_FLIGHT - completed
    const signalledAt = Date.now()
    const exiting = node!.kill('SIGTERM')
    for (const request of slowClients) request.finish()
    await exiting
    const exitedAt = Date.now()
    const exitCode = node!.child.exitCode
    const signInResults = await Promise.all(signIns)
    const tokenResults = await Promise.all(tokens)
    polling = false
    await poller

    assert.ok(outstanding >= IN_FLIGHT / 2, `only ${outstanding} requests were in flight at SIGTERM`)
    for (const result of signInResults) {
      assert.equal(result.error, undefined, `an in-flight sign-in failed: ${result.error}`)
      // Status 0: the agent stopped at the redirect to /auth/<uid>, the answer of an accepted login.
      assert.equal(result.answer!.status, 0, `a sign-in answered ${result.answer!.status}: ${result.answer!.body.slice(0, 200)}`)
      assert.match(result.answer!.url, /\/auth\//)
    }
    for (const result of tokenResults) {
      assert.equal(result.error, undefined, `an in-flight token request failed: ${result.error}`)
      assert.equal(result.answer!.status, 200, result.answer!.body)
      assert.ok((JSON.parse(result.answer!.body) as { access_token?: string }).access_token)
    }
    assert.equal(exitCode, 0, node!.output())
    assert.ok(exitedAt - signalledAt < 10_000, `exit took ${exitedAt - signalledAt} ms`)
    assert.ok(readiness.some((r) => r.at < signalledAt && r.status === 200), 'ready before the signal')
    const firstNotReady = readiness.find((r) => r.at > signalledAt && r.status === 503)
    assert.ok(firstNotReady, `no /readyz poll saw 503 before the exit: ${JSON.stringify(readiness.filter((r) => r.at > signalledAt).slice(0, 5))}`)
    assert.ok(firstNotReady.at < exitedAt)
    process.stdout.write(`      drill 3: ${outstanding} of ${IN_FLIGHT} requests in flight at SIGTERM, all completed; not ready after ${firstNotReady.at - signalledAt} ms, exit 0 after ${exitedAt - signalledAt} ms\n`)

    // Nothing lost, and every completed sign-in left its audit record before the pool closed.
    await assertNothingLost(data!.config, data!.db, before)
    assert.equal(await countAudit(data!, 'auth.login.succeeded'), signInsBefore + SIGN_INS)
  })
})

/** `count` browsers, each on the login page of its own authorization request. */
async function openLoginForms(url: string, portal: Portal, persons: { idNumber: string; password: string }[], count: number): Promise<LoginForm[]> {
  const config = await discover(url, portal.clientId, portal.clientSecret)
  const forms: LoginForm[] = []
  for (let batch = 0; batch < count; batch += 10) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(10, count - batch) }, async (_, i) => {
        const agent = new UserAgent()
        const { url: authorizationUrl } = await startAuthorization(config, { redirect_uri: portal.redirectUri })
        const page = await agent.get(authorizationUrl.toString())
        assert.match(page.body, /\/login"/)
        const person = persons[(batch + i) % persons.length]
        return { agent, page, credentials: { identifier: person.idNumber, password: person.password } }
      }),
    )
    forms.push(...opened)
  }
  return forms
}

/**
 * A client_credentials request from a slow client: the headers and the start of the body go out
 * now, the rest when finish() is called.
 */
function startSlowTokenRequest(url: string, client: { clientId: string; clientSecret: string }) {
  const body = 'grant_type=client_credentials'
  const request = http.request(`${url}/token`, {
    method: 'POST',
    agent: false,
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
  })
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('error', reject)
    request.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      res.on('error', reject)
    })
  })
  request.write(body.slice(0, 10))
  return { response, finish: () => void request.end(body.slice(10)) }
}

async function countAudit(data: DrillData, type: string): Promise<number> {
  return Number((await data.db('audit_events').where({ type }).count({ n: '*' }).first())?.n ?? 0)
}
