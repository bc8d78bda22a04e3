/*
 * Single sign-on (issue 4): a sign-in at any portal gives every other portal a session without
 * credentials, by a normal redirect or prompt=none, while max_age and prompt=login still force
 * a fresh login where a portal asks for one. Several openid-client relying parties, one browser.
 */
import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addPortal, closePortals, signInAt, signInWithoutCredentials, silentSignIn, type Person, type Portal } from './slo-helpers.js'

describe('single sign-on across portals', () => {
  let server: TestServer
  let portals: Portal[]
  let person: Person

  before(async () => {
    server = await startOneDoor()
    person = await server.addPerson({ name: '吴十' })
    portals = await Promise.all(['Harbin', 'Daoli', 'Nangang', 'Daowai', 'Qiqihar'].map((name) => addPortal(server, name)))
  })
  after(async () => {
    await closePortals(portals ?? [])
    await server?.close()
  })

  /** Makes the browser's OneDoor session look as if its login happened `secondsAgo` ago. */
  async function ageLogin(accountId: string, secondsAgo: number): Promise<void> {
    const rows = await server.onedoor.db('oidc_payloads').where({ type: 'Session', account_id: accountId })
    for (const row of rows) {
      const payload = JSON.parse(row.payload)
      payload.loginTs -= secondsAgo
      await server.onedoor.db('oidc_payloads').where({ type: 'Session', id: row.id }).update({ payload: JSON.stringify(payload) })
    }
  }

  it('signs in once and reaches every other portal without credentials, by redirect and by prompt=none', async () => {
    const agent = new UserAgent()
    const [harbin, daoli, nangang, daowai, qiqihar] = portals
    // max_age only to have auth_time in every ID token.
    const withAuthTime = { max_age: '3600' }
    const first = await signInAt(agent, harbin, person, withAuthTime)
    assert.ok(first.pages.some((p) => p.body.includes('name="password"')), 'the first portal showed the login form')

    // One portal after the other, as a person clicks through them. (Several authorizations racing in
    // one browser session can lose one another's session entry: oidc-provider saves the whole Session.)
    const viaRedirect = [await signInWithoutCredentials(agent, daoli, withAuthTime), await signInWithoutCredentials(agent, nangang, withAuthTime)]
    const viaPromptNone = [await silentSignIn(agent, daowai, withAuthTime), await silentSignIn(agent, qiqihar, withAuthTime)]
    const everyone = [first.claims, ...viaRedirect.map((r) => r.claims), ...viaPromptNone.map((r) => r.claims!)]
    assert.equal(new Set(everyone.map((c) => c.auth_time)).size, 1, 'one login serves them all (same auth_time)')
    assert.equal(new Set(everyone.map((c) => c.sub)).size, 5, 'each portal sees its own pairwise sub')
    assert.equal(new Set(everyone.map((c) => c.sid)).size, 5, 'one OneDoor session, with a sid per portal (for back-channel logout)')
    for (const [i, claims] of everyone.entries()) assert.equal(claims.aud, portals[i].clientId)

    const userinfo = await oidc.fetchUserInfo(daoli.config, viaRedirect[0].tokens.access_token, viaRedirect[0].claims.sub)
    assert.equal(userinfo.name, '吴十', 'the same person at every portal')
  })

  it('answers prompt=none with login_required in a browser that has not signed in', async () => {
    assert.equal((await silentSignIn(new UserAgent(), portals[1])).error, 'login_required')
  })

  it('honours max_age: a recent login is reused, an older one must be repeated', async () => {
    const agent = new UserAgent()
    const traveller = await server.addPerson({ name: '郑十一' })
    await signInAt(agent, portals[0], traveller)

    const recent = await silentSignIn(agent, portals[1], { max_age: '600' })
    assert.ok(recent.claims?.auth_time, 'auth_time is returned when max_age is asked')

    await ageLogin(traveller.id, 3600)
    assert.equal((await silentSignIn(agent, portals[2], { max_age: '600' })).error, 'login_required', 'a login older than max_age is not reused silently')
    const again = await signInAt(agent, portals[2], traveller, { max_age: '600' })
    assert.ok(again.pages.some((p) => p.body.includes('name="password"')), 'the login form is shown again')
    assert.ok(again.claims.auth_time! > recent.claims!.auth_time! - 3600, 'a fresh auth_time')
    assert.ok((await silentSignIn(agent, portals[3], { max_age: '600' })).claims, 'the renewed login serves the other portals')
  })

  it('honours prompt=login: the login form is shown although a session exists, and the session goes on', async () => {
    const agent = new UserAgent()
    const clerk = await server.addPerson({ name: '冯十二' })
    const first = await signInAt(agent, portals[0], clerk, { max_age: '3600' })
    await ageLogin(clerk.id, 5) // so that a new login is visibly newer
    const forced = await signInAt(agent, portals[4], clerk, { prompt: 'login', max_age: '3600' })
    assert.ok(forced.pages.some((p) => p.body.includes('name="password"')), 'prompt=login shows the login form')
    assert.ok(forced.claims.auth_time! >= first.claims.auth_time!, 'a new login')
    const after = await silentSignIn(agent, portals[1], { max_age: '3600' })
    assert.equal(after.claims?.auth_time, forced.claims.auth_time, 'the other portals now see the newer login')
  })
})
