/*
 * Fault drill 1 (issue 6): PostgreSQL restarts while machine clients hammer the token endpoint.
 * Requests fail only while the database is away, and then with a 503 temporarily_unavailable
 * (never a 500, never a dropped connection); /readyz says 503 meanwhile; the process does not
 * crash and serves again by itself once the database is back. Nothing stored is lost.
 *
 * The drill stops and starts a private PostgreSQL (test/helpers/private-postgres.ts), never the
 * shared server the rest of the suite runs on.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { assertNothingLost, countDurableRows } from '../helpers/durable-counts.js'
import { requestClientToken, signInAt, usePrivateDatabaseDrill, type Portal } from '../helpers/drill-fixture.js'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { eventually } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

interface Outcome {
  startedAt: number
  endedAt: number
  status: number
  error?: string
  retryAfter?: string | null
}

describe('fault drill: PostgreSQL restarts under token load', function () {
  this.timeout(150_000)

  const drill = usePrivateDatabaseDrill({ seed: { portals: [{}, {}] } })

  it('answers 503 only while the database is down, reports not ready, and recovers without a restart', async () => {
    const { machine, portals, persons } = drill.data
    const url = drill.node.url
    // A grant and its audit records exist before the fault.
    await signInAt(url, portals[0], persons[0])
    const before = await countDurableRows(drill.data.db)
    // The test's own pool is closed over the outage (reopened to count afterwards), so the only
    // connections that break are the server's.
    await drill.data.db.destroy()

    const outcomes: Outcome[] = []
    const readiness: { at: number; status: number }[] = []
    let running = true
    const worker = async () => {
      while (running) {
        const startedAt = Date.now()
        try {
          const res = await requestClientToken(url, machine)
          const body = (await res.json()) as { error?: string }
          outcomes.push({ startedAt, endedAt: Date.now(), status: res.status, error: body.error, retryAfter: res.headers.get('retry-after') })
        } catch (err) {
          // A dropped connection or a crashed process: recorded as status 0, which fails the drill.
          outcomes.push({ startedAt, endedAt: Date.now(), status: 0, error: String(err) })
          await sleep(50)
        }
      }
    }
    const poller = async () => {
      while (running) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined)
        readiness.push({ at: Date.now(), status: res?.status ?? 0 })
        await res?.body?.cancel()
        await sleep(100)
      }
    }
    const load = [worker(), worker(), worker(), worker(), poller()]

    await sleep(1500)
    // A resident is on the login page when the database goes away.
    const portal = portals[1]
    const portalConfig = await discover(url, portal.clientId, portal.clientSecret)
    const authorization = await startAuthorization(portalConfig, { redirect_uri: portal.redirectUri })
    const browser = new UserAgent()
    const loginPage = await browser.get(authorization.url.toString())
    assert.match(loginPage.body, /\/login"/)
    const credentials = { identifier: persons[1].idNumber, password: persons[1].password }
    const stoppedAt = Date.now()
    await drill.pg.stop('fast')
    const notReady = await eventually(async () => readiness.find((r) => r.at > stoppedAt && r.status === 503), '/readyz to report 503 while the database is down', 200)
    // Meanwhile the node still publishes its keys (relying parties keep verifying tokens), and
    // browsers are told the service is unavailable, not broken. A new authorization request goes
    // back to the portal with error=temporarily_unavailable while the client is still cached
    // (clients.cacheMs), else gets the 503 page; the login form sent now gets the 503 page.
    assert.equal((await fetch(`${url}/jwks`)).status, 200)
    const again = await browser.get(authorization.url.toString(), atPortal(portal))
    if (again.status === 0) {
      const back = new URL(again.url)
      assert.equal(back.searchParams.get('error'), 'temporarily_unavailable')
      assert.equal(back.searchParams.get('state'), authorization.state)
    } else {
      await assertBrowserToldUnavailable(again)
    }
    await assertBrowserToldUnavailable(await browser.submit(loginPage, '/login', credentials))
    await sleep(2500)
    await drill.pg.start()
    const restartedAt = Date.now()
    const readyAgain = await eventually(async () => readiness.find((r) => r.at > restartedAt && r.status === 200), '/readyz to report 200 after the database is back', 400)
    // The same login form, sent again once the database is back, continues the sign-in.
    const callback = await finishSignIn(browser, await browser.submit(loginPage, '/login', credentials, atPortal(portal)), portal)
    assert.equal(callback.searchParams.get('state'), authorization.state)
    assert.ok(callback.searchParams.get('code'))
    await sleep(1000)
    running = false
    await Promise.all(load)

    // Still the same process, alive and serving.
    assert.equal(drill.node.exited, false, `the process exited:\n${drill.node.output()}`)
    assert.equal((await fetch(`${url}/healthz`)).status, 200)

    const failures = outcomes.filter((o) => o.status !== 200)
    assert.ok(outcomes.filter((o) => o.endedAt < stoppedAt).length > 0, 'tokens were issued before the fault')
    assert.ok(failures.length > 0, 'some requests met the outage (the drill really happened)')
    for (const failure of failures) {
      assert.equal(failure.status, 503, `a failure during the outage is a 503, not ${failure.status} (${failure.error})`)
      assert.equal(failure.error, 'temporarily_unavailable')
      assert.equal(failure.retryAfter, '2', 'a 503 says when to retry')
      assert.ok(failure.endedAt > stoppedAt && failure.startedAt < readyAgain.at, 'a request failed outside the outage')
    }
    assert.ok(readiness.every((r) => r.status === 200 || r.status === 503), 'the readiness probe always answered')
    assert.ok(notReady.at < readyAgain.at)
    const afterRecovery = outcomes.filter((o) => o.startedAt > readyAgain.at)
    assert.ok(afterRecovery.length > 0, 'tokens were requested after the database came back')
    assert.ok(afterRecovery.every((o) => o.status === 200), 'every request after recovery succeeds')

    // Measured, not asserted: how long clients saw errors and how long until ready again.
    const lastFailure = Math.max(...failures.map((f) => f.endedAt))
    process.stdout.write(
      `      drill 1: ${outcomes.length} token requests, ${failures.length} answered 503; database down ${restartedAt - stoppedAt} ms; ready ${readyAgain.at - restartedAt} ms and last error ${lastFailure - restartedAt} ms after it was back\n`,
    )

    drill.data.db.initialize()
    await assertNothingLost(drill.data.config, drill.data.db, before)
  })
})

/** A browser's view of the outage: an error page with 503 that says so, never a 500. */
async function assertBrowserToldUnavailable(page: PageResponse): Promise<void> {
  assert.equal(page.status, 503, `${page.url} answered ${page.status}`)
  assert.equal(page.headers.get('retry-after'), '2')
  assert.match(page.body, /temporarily unavailable|暂时不可用/i)
}

const atPortal = (portal: Portal) => (url: URL) => url.toString().startsWith(portal.redirectUri)

/** From the page after the login form to the portal's redirect_uri (through consent if asked). */
async function finishSignIn(browser: UserAgent, page: PageResponse, portal: Portal): Promise<URL> {
  if (page.status !== 0) page = await browser.submit(page, '/confirm', {}, atPortal(portal))
  assert.equal(page.status, 0, `did not reach the portal: ${page.status} ${page.url}`)
  return new URL(page.url)
}
