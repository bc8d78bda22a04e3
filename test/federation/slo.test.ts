/*
 * Single logout (issue 4): a logout at one portal, "sign out everywhere" and an administrator's
 * ending of a session all end the OneDoor session and send every portal the session reached a
 * signed back-channel logout token; a portal that is down, failing or hanging never holds the
 * person's logout, and its token is queued and delivered by the retry job when it comes back.
 */
import assert from 'node:assert/strict'
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/logout/index.js'
import { verifyLogoutToken } from '../helpers/backchannel-receivers.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc, startAuthorization } from '../helpers/relying-party.js'
import { afterThisSecond } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addPortal, closePortals, logoutAt, signInAt, signInWithoutCredentials, silentSignIn, type Person, type Portal, type PortalSignIn } from './slo-helpers.js'

const DAY_MS = 86_400_000

describe('single logout: back-channel logout tokens to every portal a session reached', () => {
  let server: TestServer
  let person: Person
  const portals: Portal[] = []

  before(async () => {
    server = await startOneDoor({
      overrides: {
        // The retry job is driven by the tests, never by the clock.
        backchannelLogout: { timeoutMs: 20_000, userWaitMs: 300, retry: { intervalSeconds: 3600, initialDelaySeconds: 10, maxAttempts: 3 } },
      },
    })
    person = await server.addPerson({ name: '赵六' })
  })
  after(async () => {
    await closePortals(portals)
    await server?.close()
  })

  async function newPortals(...names: string[]): Promise<Portal[]> {
    const created = await Promise.all(names.map((name) => addPortal(server, name)))
    portals.push(...created)
    return created
  }

  /** Signs in at the first portal with credentials and at the others with the session alone. */
  async function signInEverywhere(agent: UserAgent, list: Portal[], who: Person = person): Promise<PortalSignIn[]> {
    const signedIn = [await signInAt(agent, list[0], who)]
    for (const portal of list.slice(1)) signedIn.push(await signInWithoutCredentials(agent, portal))
    return signedIn
  }

  async function assertLogoutToken(token: string, portal: Portal, signIn: PortalSignIn, expect: { sid: boolean }) {
    const { header, payload } = await verifyLogoutToken(token, server.url, portal.clientId)
    assert.equal(header.typ, 'logout+jwt')
    assert.deepEqual(payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} })
    assert.equal(payload.sub, signIn.claims.sub, 'the sub the portal knows (pairwise)')
    assert.equal('nonce' in payload, false, 'a logout token never carries a nonce')
    if (expect.sid) {
      assert.ok(signIn.claims.sid, 'the ID token carried a sid')
      assert.equal(payload.sid, signIn.claims.sid)
    } else {
      assert.equal('sid' in payload, false, 'sub-only token')
    }
    return payload
  }

  it('ends the session at every portal when the person logs out at one of them', async () => {
    const list = await newPortals('Harbin', 'Daoli', 'Nangang')
    const agent = new UserAgent()
    const signedIn = await signInEverywhere(agent, list)
    assert.notEqual(signedIn[0].claims.sub, signedIn[1].claims.sub, 'each portal has its own pairwise sub')

    const landed = await logoutAt(agent, list[1], signedIn[1].tokens.id_token!)
    assert.equal(landed.searchParams.get('state'), 'bye')
    await server.onedoor.logout.drain()

    for (const [i, portal] of list.entries()) {
      assert.equal(portal.receiver.tokens.length, 1, `${portal.name} received one logout token`)
      await assertLogoutToken(portal.receiver.tokens[0], portal, signedIn[i], { sid: true })
    }
    assert.equal((await silentSignIn(agent, list[0])).error, 'login_required', 'the OneDoor session is over')
    const queued = await server.onedoor.logout.deliveries({ accountId: person.id })
    const mine = queued.filter((q) => list.some((p) => p.clientId === q.clientId))
    assert.deepEqual(mine.map((q) => q.status), ['delivered', 'delivered', 'delivered'])
    assert.ok(mine.every((q) => q.reason === 'rp_logout' && q.attempts === 1))
  })

  it('tells only the requesting portal when the person stays signed in to OneDoor', async () => {
    const list = await newPortals('Daowai', 'Xiangfang')
    const agent = new UserAgent()
    const signedIn = await signInEverywhere(agent, list)
    const endSession = oidc.buildEndSessionUrl(list[0].config, { id_token_hint: signedIn[0].tokens.id_token!, post_logout_redirect_uri: list[0].postLogoutUri })
    const page = await agent.get(endSession.toString())
    const atPortal = (url: URL) => url.toString().startsWith(list[0].postLogoutUri)
    const landed = await agent.submit(page, '/session/end/confirm', {}, atPortal) // the "stay signed in" button
    assert.equal(landed.status, 0)
    await server.onedoor.logout.drain()
    assert.equal(list[0].receiver.tokens.length, 1, 'the portal that asked is told')
    assert.equal(list[1].receiver.tokens.length, 0, 'the other portal keeps its session')
    assert.ok((await silentSignIn(agent, list[1])).claims, 'the OneDoor session goes on')
  })

  it('never holds the logout for a portal that hangs, is down or fails; the retry job delivers when they are back', async () => {
    const [live, hanging, down, failing] = await newPortals('Pingfang', 'Songbei', 'Hulan', 'Acheng')
    const agent = new UserAgent()
    const signedIn = await signInEverywhere(agent, [live, hanging, down, failing])
    hanging.receiver.mode = 'hang'
    await down.receiver.down()
    failing.receiver.mode = 'fail'

    await logoutAt(agent, live, signedIn[0].tokens.id_token!)
    // The logout page answered while a portal was still holding its request unanswered.
    assert.equal(hanging.receiver.pending, 1, 'the hanging portal still holds its logout token request')
    assert.equal(live.receiver.tokens.length, 1, 'the live portal was told within the wait')
    assert.equal((await silentSignIn(agent, live)).error, 'login_required')

    hanging.receiver.release(503)
    await server.onedoor.logout.drain()
    const afterFirst = await server.onedoor.logout.deliveries({ accountId: person.id, status: 'pending' })
    const waiting = afterFirst.filter((q) => [hanging, down, failing].some((p) => p.clientId === q.clientId))
    assert.equal(waiting.length, 3, 'three deliveries queued')
    assert.ok(waiting.every((q) => q.attempts === 1 && q.lastError && q.nextAttemptAt > Date.now()))
    assert.ok(waiting.find((q) => q.clientId === down.clientId)!.lastError!.startsWith('could not connect'))

    assert.equal((await server.onedoor.logout.runRetries()).claimed, 0, 'nothing is due before the backoff delay')

    hanging.receiver.mode = 'ok'
    await down.receiver.up()
    failing.receiver.mode = 'ok'
    const run = await server.onedoor.logout.runRetries({ now: Date.now() + DAY_MS })
    assert.equal(run.delivered, 3)
    for (const [portal, signIn] of [[hanging, signedIn[1]], [down, signedIn[2]], [failing, signedIn[3]]] as const) {
      assert.equal(portal.receiver.tokens.length, 1, `${portal.name} got its token on retry`)
      await assertLogoutToken(portal.receiver.tokens[0], portal, signIn, { sid: true })
    }
    const rows = await server.onedoor.db('logout_deliveries').where({ client_id: down.clientId }).orderBy('attempt', 'asc')
    assert.deepEqual(rows.map((r) => [r.attempt, r.status]), [[1, 'failed'], [2, 'delivered']], 'each attempt is recorded')
    const final = await server.onedoor.logout.deliveries({ clientId: down.clientId })
    assert.equal(final[0].status, 'delivered')
    assert.equal(final[0].attempts, 2)
  })

  it('abandons a delivery after the configured number of attempts, with backoff in between', async () => {
    const [gone] = await newPortals('Shuangcheng')
    const agent = new UserAgent()
    const [signedIn] = await signInEverywhere(agent, [gone])
    await gone.receiver.down()
    await logoutAt(agent, gone, signedIn.tokens.id_token!)
    await server.onedoor.logout.drain()

    const [first] = await server.onedoor.logout.deliveries({ clientId: gone.clientId })
    assert.equal(first.attempts, 1)
    await server.onedoor.logout.runRetries({ now: first.nextAttemptAt })
    const [second] = await server.onedoor.logout.deliveries({ clientId: gone.clientId })
    assert.equal(second.attempts, 2)
    assert.ok(second.nextAttemptAt - first.nextAttemptAt >= 20_000, 'the second delay is twice the first')
    await server.onedoor.logout.runRetries({ now: second.nextAttemptAt })
    const [third] = await server.onedoor.logout.deliveries({ clientId: gone.clientId })
    assert.equal(third.status, 'abandoned')
    assert.equal(third.attempts, 3)
    await gone.receiver.up()
    await server.onedoor.logout.runRetries({ now: Date.now() + DAY_MS })
    assert.equal(gone.receiver.tokens.length, 0, 'an abandoned delivery is not sent again')
  })

  it('signs the person out everywhere with sub-only tokens, one per portal, and revokes their tokens', async () => {
    const [p1, p2, p3] = await newPortals('Yilan', 'Fangzheng', 'Binxian')
    const traveller = await server.addPerson({ name: '钱七' })
    const laptop = new UserAgent()
    const phone = new UserAgent()
    const onLaptop = await signInEverywhere(laptop, [p1, p2], traveller)
    const onPhone = await signInEverywhere(phone, [p3, p2], traveller)

    const result = await server.onedoor.logout.signOutEverywhere(traveller.id)
    assert.equal(result.sessionsEnded, 2)
    assert.deepEqual([...result.portals.delivered].sort(), [p1.clientId, p2.clientId, p3.clientId].sort())

    await assertLogoutToken(p1.receiver.tokens[0], p1, onLaptop[0], { sid: false })
    await assertLogoutToken(p3.receiver.tokens[0], p3, onPhone[0], { sid: false })
    assert.equal(p2.receiver.tokens.length, 1, 'one token for a portal reached by both sessions')
    await assertLogoutToken(p2.receiver.tokens[0], p2, onLaptop[1], { sid: false })

    assert.equal((await silentSignIn(laptop, p1)).error, 'login_required')
    assert.equal((await silentSignIn(phone, p3)).error, 'login_required')
    const refreshToken = onLaptop[0].tokens.refresh_token
    assert.ok(refreshToken)
    await assert.rejects(oidc.refreshTokenGrant(p1.config, refreshToken), (err: { error?: string }) => err.error === 'invalid_grant', 'the grant was revoked')
  })

  it('refuses what a sign-in in flight writes back after the person signed out everywhere', async () => {
    const [p1, p2] = await newPortals('Shangzhi', 'Wuchang')
    const traveller = await server.addPerson({ name: '周九' })
    const laptop = new UserAgent()
    const [atP1] = await signInEverywhere(laptop, [p1], traveller)
    // A second portal's sign-in is in flight: OneDoor has issued its code, the portal has not redeemed it yet.
    const start = await startAuthorization(p2.config, { redirect_uri: p2.redirectUri, scope: 'openid profile' })
    const landed = await laptop.get(start.url.toString(), (url) => url.toString().startsWith(p2.redirectUri))
    const callbackUrl = new URL(landed.url)
    assert.ok(callbackUrl.searchParams.get('code'), 'the session alone signed in at the second portal')

    // Every row such a request could still write: the session it loaded, the grants, codes and tokens under it.
    const db = server.onedoor.services.db
    const sessionRows = await db('oidc_payloads').where({ type: 'Session', account_id: traveller.id })
    const grantIds = sessionRows.flatMap((row) => Object.values((JSON.parse(row.payload).authorizations ?? {}) as Record<string, { grantId?: string }>).flatMap((a) => a.grantId ?? []))
    assert.equal(grantIds.length, 2, 'one grant per portal')
    const grantRows = await db('oidc_payloads').whereIn('grant_id', grantIds)
    assert.ok(grantRows.some((row) => row.type === 'AuthorizationCode') && grantRows.some((row) => row.type === 'RefreshToken'))

    const result = await server.onedoor.logout.signOutEverywhere(traveller.id)
    assert.equal(result.sessionsEnded, 1)
    // The request in flight saves what it loaded before (oidc-provider writes the session at the end of a request).
    await db('oidc_payloads').insert([...sessionRows, ...grantRows])

    assert.deepEqual(await server.onedoor.logout.listSessions(traveller.id), [], 'the written-back session is not shown as live')
    assert.equal((await silentSignIn(laptop, p1)).error, 'login_required', 'the written-back session signs no one in')
    await assert.rejects(
      oidc.authorizationCodeGrant(p2.config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce }),
      (err: { error?: string }) => err.error === 'invalid_grant',
      'the code issued before the sign-out is refused',
    )
    await assert.rejects(oidc.refreshTokenGrant(p1.config, atP1.tokens.refresh_token!), (err: { error?: string }) => err.error === 'invalid_grant', 'the refresh token too')
    await assert.rejects(
      oidc.fetchUserInfo(p1.config, atP1.tokens.access_token, atP1.claims.sub),
      (err: { status?: number; cause?: { parameters?: { error?: string } }[] }) => err.status === 401 && err.cause?.[0]?.parameters?.error === 'invalid_token',
      'and the access token',
    )

    // A new sign-in works as usual once the second of the sign-out has passed.
    await afterThisSecond()
    const again = await signInEverywhere(laptop, [p1, p2], traveller)
    assert.ok(await oidc.fetchUserInfo(p2.config, again[1].tokens.access_token, again[1].claims.sub))
    assert.equal((await server.onedoor.logout.listSessions(traveller.id)).length, 1)
  })

  it('treats the session of a disabled person as no session: a new sign-in is asked for, not an error', async () => {
    const [portal] = await newPortals('Bayan')
    const resident = await server.addPerson({ name: '吴十' })
    const agent = new UserAgent()
    await signInEverywhere(agent, [portal], resident)
    // Disabled while the session row stays, as when a request in flight writes it back after the administrator's ending.
    await server.onedoor.services.db('persons').where({ id: resident.id }).update({ disabled_at: Date.now() })
    assert.equal((await silentSignIn(agent, portal)).error, 'login_required')
  })

  it('keeps a logout when a request that loaded the session before it saves it afterwards', async () => {
    const [portal] = await newPortals('Acheng')
    const resident = await server.addPerson({ name: '王十二' })
    const agent = new UserAgent()
    const sessions = (server.onedoor.provider.Session as unknown as { adapter: { upsert(id: string, payload: unknown, expiresIn: number): Promise<void> } }).adapter
    const db = server.onedoor.services.db
    const sessionRow = async () => db('oidc_payloads').where({ type: 'Session', account_id: resident.id }).first()
    /** What oidc-provider does at the end of a request that loaded the session earlier (another tab, a portal's prompt=none). */
    const writeBack = async (row: { id: string; payload: string }) => sessions.upsert(row.id, JSON.parse(row.payload), 3600)

    // Logout at a portal (RP-initiated, oidc-provider's end_session).
    const [signedIn] = await signInEverywhere(agent, [portal], resident)
    const loaded = await sessionRow()
    await logoutAt(agent, portal, signedIn.tokens.id_token!)
    await writeBack(loaded)
    assert.equal(await sessionRow(), undefined, 'the session is not written back')
    assert.equal((await silentSignIn(agent, portal)).error, 'login_required')

    // Ending one session (the account centre, an administrator).
    await signInEverywhere(agent, [portal], resident)
    const again = await sessionRow()
    assert.equal((await server.onedoor.logout.endSession(again.uid)).sessionsEnded, 1)
    await writeBack(again)
    assert.equal(await sessionRow(), undefined)
    assert.equal((await silentSignIn(agent, portal)).error, 'login_required')
  })

  it('lets an administrator end one session, telling its portals with its sid, and no other', async () => {
    const [p1, p2] = await newPortals('Mulan', 'Tonghe')
    const officer = await server.addPerson({ name: '孙八' })
    const first = new UserAgent()
    const second = new UserAgent()
    const firstSignIns = await signInEverywhere(first, [p1], officer)
    await signInEverywhere(second, [p2], officer)

    const sessions = await server.onedoor.logout.listSessions(officer.id)
    const target = sessions.find((s) => s.clientIds.includes(p1.clientId))
    assert.ok(target && sessions.length === 2)
    assert.equal('id' in target, false, 'the session cookie value is never handed out')

    const other = await server.addPerson()
    await assert.rejects(server.onedoor.logout.endSession(target.uid, { accountId: other.id }), { code: 'LOGOUT_SESSION_NOT_FOUND' })
    await assert.rejects(server.onedoor.logout.endSession('no-such-session'), { code: 'LOGOUT_SESSION_NOT_FOUND' })

    const result = await server.onedoor.logout.endSession(target.uid)
    assert.equal(result.sessionsEnded, 1)
    await assertLogoutToken(p1.receiver.tokens[0], p1, firstSignIns[0], { sid: true })
    assert.equal(p2.receiver.tokens.length, 0)
    assert.equal((await silentSignIn(first, p1)).error, 'login_required')
    assert.ok((await silentSignIn(second, p2)).claims, 'the other session goes on')
    assert.equal((await server.onedoor.logout.listSessions(officer.id)).length, 1)
  })

  it('skips portals registered without a back-channel logout URI', async () => {
    const plain = await addPortal(server, 'Yanshou', { backchannel: false })
    portals.push(plain)
    const agent = new UserAgent()
    const [signedIn] = await signInEverywhere(agent, [plain])
    await logoutAt(agent, plain, signedIn.tokens.id_token!)
    await server.onedoor.logout.drain()
    assert.equal((await server.onedoor.logout.deliveries({ clientId: plain.clientId })).length, 0, 'nothing queued')
    assert.equal(plain.receiver.tokens.length, 0)
  })
})
