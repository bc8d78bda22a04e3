/*
 * Several OneDoor nodes over one PostgreSQL database behind the round-robin proxy (issue 6):
 * every piece of state is shared, so any request can land on any node; and fault drills 2
 * (kill -9 of a node in the middle of a sign-in) and 5 (portals down or slow during a logout,
 * with several nodes). Nodes are real processes; the proxy is pinned to one node when a step
 * must land on a particular node.
 */
import assert from 'node:assert/strict'
import { decodeProtectedHeader } from 'jose'
import { useTestCluster } from '../helpers/cluster.js'
import { assertNothingLost, countDurableRows, type DurableCounts } from '../helpers/durable-counts.js'
import { verifyLogoutToken } from '../helpers/backchannel-receivers.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { eventually, type TestClient, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'
import { addPortal, closePortals, logoutAt, signInAt, signInWithoutCredentials, type Portal } from '../federation/slo-helpers.js'

const REDIRECT_URI = 'http://127.0.0.1:9/scale/callback'
const atPortal = (url: URL) => url.toString().startsWith(REDIRECT_URI)

describe('several nodes over one PostgreSQL database (issue 6)', function () {
  this.timeout(60_000)
  const env = useTestCluster({
    nodes: 2,
    config: {
      signIn: { failuresPerAccountPerHour: 3 },
      // Short enough for a test to watch the retry job: a 1 s portal timeout, retries every second.
      backchannelLogout: { timeoutMs: 1000, userWaitMs: 300, retry: { intervalSeconds: 1, initialDelaySeconds: 1, maxDelaySeconds: 2 } },
    },
  })
  const portals: Portal[] = []
  let client: TestClient

  before(async () => {
    client = await env.cluster.addClient({ redirectUris: [REDIRECT_URI] })
  })
  afterEach(() => env.cluster.proxy.pin(undefined))
  after(() => closePortals(portals))

  /** Requests each node answered through the proxy since `since`. */
  const servedSince = (since: readonly number[]) => env.cluster.proxy.served.map((n, i) => n - since[i])

  /** Opens the login page of a new authorization request at the portal of `client`. */
  async function openLoginPage(agent: UserAgent) {
    const config = await discover(env.cluster.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: REDIRECT_URI, scope: 'openid profile' })
    const page = await agent.get(start.url.toString(), atPortal)
    assert.ok(page.body.includes('/login"'), `a login page, got ${page.status} at ${page.url}`)
    return { config, start, page }
  }

  /** From the login page on: password, consent if asked, then the code exchange. */
  async function finishSignIn(agent: UserAgent, opened: Awaited<ReturnType<typeof openLoginPage>>, person: TestPerson) {
    let page: PageResponse = await agent.submit(opened.page, '/login', { identifier: person.idNumber, password: person.password }, atPortal)
    if (page.status !== 0) page = await agent.submit(page, '/confirm', {}, atPortal)
    assert.equal(page.status, 0, `the sign-in reaches the portal (got ${page.status} at ${page.url})`)
    const { start, config } = opened
    return oidc.authorizationCodeGrant(config, new URL(page.url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
  }

  it('spreads requests over both nodes, each publishing the proxy as the issuer', async () => {
    const since = [...env.cluster.proxy.served]
    for (let i = 0; i < 4; i += 1) {
      const discovery = (await (await fetch(`${env.cluster.url}/.well-known/openid-configuration`)).json()) as { issuer: string; token_endpoint: string }
      assert.equal(discovery.issuer, env.cluster.url)
      assert.equal(discovery.token_endpoint, `${env.cluster.url}/token`)
    }
    assert.deepEqual(servedSince(since), [2, 2], 'round robin: two requests each')
  })

  it('completes on node B a sign-in started on node A', async () => {
    const person = await env.cluster.addPerson()
    const agent = new UserAgent()
    env.cluster.proxy.pin(0)
    const since = [...env.cluster.proxy.served]
    const onA = await openLoginPage(agent)
    assert.deepEqual(servedSince(since).map(Boolean), [true, false], 'authorization request and login page from node A')

    env.cluster.proxy.pin(1)
    const atB = [...env.cluster.proxy.served]
    const tokens = await finishSignIn(agent, onA, person)
    assert.deepEqual(servedSince(atB).map(Boolean), [false, true], 'password, consent and code exchange on node B')
    const claims = tokens.claims()!
    assert.equal(claims.iss, env.cluster.url)
    assert.ok(claims.sub && tokens.refresh_token, 'an ID token for the person and a refresh token')
  })

  it('sends back-channel logout tokens from node B to the portals of a session made on node A', async () => {
    const person = await env.cluster.addPerson({ name: '李四' })
    const list = await Promise.all(['Daoli', 'Nangang', 'Xiangfang'].map((name) => addPortal(env.cluster, name)))
    portals.push(...list)
    const agent = new UserAgent()
    env.cluster.proxy.pin(0)
    const first = await signInAt(agent, list[0], person)
    for (const portal of list.slice(1)) await signInWithoutCredentials(agent, portal)

    env.cluster.proxy.pin(1)
    const since = [...env.cluster.proxy.served]
    await logoutAt(agent, list[0], first.tokens.id_token!)
    assert.equal(servedSince(since)[0], 0, 'the logout ran on node B only')
    for (const portal of list) {
      const token = await eventually(async () => portal.receiver.tokens[0], `${portal.name}'s logout token`)
      const { payload } = await verifyLogoutToken(token, env.cluster.url, portal.clientId)
      assert.ok(payload.sid, `${portal.name}: the token names the session`)
    }
  })

  it('publishes a key rotation made with `onedoor keys rotate` on both nodes without a restart', async () => {
    const pids = env.cluster.nodes.map((n) => n.pid)
    const rotated = await env.cluster.runCli(['keys', 'rotate', '--json'])
    assert.equal(rotated.code, 0, rotated.stderr)
    const { activated, published } = JSON.parse(rotated.stdout) as { activated: string[]; published: string[] }
    for (const node of env.cluster.nodes) {
      await eventually(async () => {
        const { keys } = (await (await fetch(`${node.url}/jwks`)).json()) as { keys: { kid: string }[] }
        const kids = keys.map((k) => k.kid)
        return [...activated, ...published].every((kid) => kids.includes(kid)) || undefined
      }, `${node.name} to publish the rotated key set`, 300)
    }
    // Each node now signs with the newly activated key.
    for (const index of [0, 1]) {
      env.cluster.proxy.pin(index)
      const agent = new UserAgent()
      const tokens = await finishSignIn(agent, await openLoginPage(agent), await env.cluster.addPerson())
      assert.ok(activated.includes(String(decodeProtectedHeader(tokens.id_token!).kid)), `node ${index + 1} signs with the new active key`)
    }
    assert.deepEqual(env.cluster.nodes.map((n) => n.pid), pids, 'no node restarted')
  })

  /**
   * Threat: a client sends its own X-Forwarded-For to choose the address that per-IP limits
   * count and the audit trail records. The proxy is the edge: it replaces the header.
   */
  it('counts failed sign-ins across nodes: the lockout made on one node holds on the other', async () => {
    const person = await env.cluster.addPerson({ name: '王五' })
    const agent = new UserAgent({ 'x-forwarded-for': '203.0.113.9' })
    let { page } = await openLoginPage(agent)
    // Three wrong passwords (the configured limit), on alternate nodes.
    for (const index of [0, 1, 0]) {
      env.cluster.proxy.pin(index)
      page = await agent.submit(page, '/login', { identifier: person.idNumber, password: 'not the password at all' }, atPortal)
      assert.equal(page.status, 401, `wrong password refused on node ${index + 1}`)
    }
    // The right password is now refused on both nodes: the counter is shared.
    for (const index of [1, 0]) {
      env.cluster.proxy.pin(index)
      page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password }, atPortal)
      assert.equal(page.status, 429, `throttled on node ${index + 1}`)
    }
    const ips = await eventually(async () => {
      const rows = await env.cluster.db('audit_events').where({ type: 'auth.login.failed', client_id: client.clientId }).pluck('ip')
      return rows.length >= 5 ? rows : undefined
    }, 'the failed sign-ins in the audit trail')
    assert.deepEqual([...new Set(ips)], ['127.0.0.1'], 'the address the proxy saw, not the one the client claimed')
  })

  it('drill 5: portals down or slow during a logout on one node; the other node delivers every queued token', async () => {
    const person = await env.cluster.addPerson({ name: '赵六' })
    const [up, down, slow] = await Promise.all(['Acheng', 'Hulan', 'Shuangcheng'].map((name) => addPortal(env.cluster, name)))
    portals.push(up, down, slow)
    const agent = new UserAgent()
    env.cluster.proxy.pin(0)
    const first = await signInAt(agent, up, person)
    await signInWithoutCredentials(agent, down)
    await signInWithoutCredentials(agent, slow)
    await down.receiver.down()
    slow.receiver.mode = 'hang'
    const before = await countDurableRows(env.cluster.db)

    env.cluster.proxy.pin(1)
    await logoutAt(agent, up, first.tokens.id_token!)
    assert.equal(up.receiver.tokens.length, 1, 'the portal that is up has its token at once')
    // Node B stops (gracefully: its first attempts end and are recorded); the queue is in the database.
    // kill -9 in the middle of the fan-out, nothing recorded: test/scale/drill-logout-kill.test.ts.
    await env.cluster.nodes[1].stop()
    try {
      await deliveredByNodeA(person.id, [up, down, slow], before)
    } finally {
      await env.cluster.nodes[1].restart()
      await env.cluster.proxy.checkHealth()
    }
  })

  async function deliveredByNodeA(accountId: string, [up, down, slow]: Portal[], before: DurableCounts): Promise<void> {
    const queued = await env.cluster.db('logout_queue').where({ account_id: accountId })
    assert.equal(queued.length, 3, 'one queue row per portal')
    assert.deepEqual(queued.filter((r) => r.status === 'pending').map((r) => r.client_id).sort(), [down.clientId, slow.clientId].sort(), 'the down and the slow portal wait in the queue')

    await down.receiver.up()
    slow.receiver.mode = 'ok'
    slow.receiver.release(503)
    // Node A's retry job (every second) takes the deliveries node B queued.
    await eventually(async () => {
      const rows = await env.cluster.db('logout_queue').where({ account_id: accountId, status: 'delivered' })
      return rows.length === 3 || undefined
    }, 'every queued delivery to be delivered', 400)
    for (const portal of [up, down, slow]) {
      assert.ok(portal.receiver.tokens.length >= 1, `${portal.name} received its logout token (at least once)`)
      await verifyLogoutToken(portal.receiver.tokens.at(-1)!, env.cluster.url, portal.clientId)
    }
    // The logout revoked the session's three grants (one per portal), and that is all it removed.
    const after = await assertNothingLost(env.cluster.config, env.cluster.db, { ...before, grants: before.grants - 3 })
    assert.equal(after.grants, before.grants - 3)
    assert.equal(after.logoutQueue, before.logoutQueue + 3, 'three deliveries queued, none lost')
  }

  it('drill 2 under load: kill -9 of a node while eight sign-ins run; every user finishes', async () => {
    const people = await Promise.all(Array.from({ length: 8 }, (_, i) => env.cluster.addPerson({ name: `用户${i}` })))
    const before = await countDurableRows(env.cluster.db)
    let killed: Promise<void> | undefined
    try {
      // Round robin, no pinning: when the first user has a login page, node A dies with whatever
      // it was serving. A user whose POST was running there gets a 502 and starts the sign-in
      // again, as a person would (typically one to four of the eight); nobody needs a third try.
      const attempts = await Promise.all(people.map(async (person, i) => {
        for (let attempt = 1; ; attempt += 1) {
          const agent = new UserAgent()
          try {
            const opened = await openLoginPage(agent)
            if (i === 0) killed ??= env.cluster.nodes[0].kill('SIGKILL')
            await finishSignIn(agent, opened, person)
            return attempt
          } catch (err) {
            if (attempt === 2) throw err
          }
        }
      }))
      await killed
      assert.equal(attempts.length, 8, 'every user signed in')
      assert.ok(attempts.every((n) => n <= 2), 'at most one new start each')
      const after = await assertNothingLost(env.cluster.config, env.cluster.db, before)
      assert.ok(after.grants >= before.grants + 8, 'a grant stored for every user')
    } finally {
      await killed
      await env.cluster.nodes[0].restart()
      await env.cluster.proxy.checkHealth()
    }
  })

  it('drill 2: kill -9 of the node serving a sign-in; the user finishes on the other node', async () => {
    const person = await env.cluster.addPerson({ name: '孙七' })
    const before = await countDurableRows(env.cluster.db)
    const agent = new UserAgent()
    env.cluster.proxy.pin(0)
    const opened = await openLoginPage(agent)
    await env.cluster.nodes[0].kill('SIGKILL')

    // Still pinned to the dead node: the proxy finds it refusing connections and uses node B.
    const since = [...env.cluster.proxy.served]
    const tokens = await finishSignIn(agent, opened, person)
    assert.equal(servedSince(since)[0], 0)
    assert.ok(servedSince(since)[1] >= 3, 'password, consent and code exchange answered by node B')
    assert.equal(env.cluster.proxy.isUp(0), false, 'the proxy took the dead node out')
    assert.ok(tokens.claims()!.sub && tokens.access_token)

    const after = await assertNothingLost(env.cluster.config, env.cluster.db, before)
    assert.ok(after.grants > before.grants, 'the new grant is stored')
  })
})
