import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { postForm, signIn, userinfoStatus, type TestClient } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'
import { REDIRECT_URI } from './natural-helpers.js'

type Person = Awaited<ReturnType<TestServer['addPerson']>>

/** Opens /account with `agent`, signing in through OneDoor's pages when asked to. */
async function openAccountCentre(server: TestServer, agent: UserAgent, person: Person, path = '/account'): Promise<PageResponse> {
  let page = await agent.get(`${server.url}${path}`)
  if (page.body.includes('/login"') && page.url.includes('/interaction/')) {
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
  }
  return page
}

function csrfOf(page: PageResponse): string {
  const value = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1]
  if (!value) throw new Error(`no csrf field on ${page.url}`)
  return value
}

describe('account centre (/account)', function () {
  this.timeout(120_000)
  let server: TestServer
  let portal: TestClient

  before(async () => {
    server = await startOneDoor()
    portal = await server.addClient({ name: '哈尔滨市民服务', redirectUris: [REDIRECT_URI] })
  })
  after(async () => server?.close())

  it('signs in through OneDoor as a first-party OIDC client and shows the masked profile', async () => {
    const person = await server.addPerson({ name: '周九' })
    const agent = new UserAgent()
    const page = await openAccountCentre(server, agent, person)
    assert.equal(page.status, 200, page.body.slice(0, 400))
    assert.equal(new URL(page.url).pathname, '/account')
    assert.match(page.body, /周九/)
    assert.ok(page.body.includes(`${person.idNumber.slice(0, 4)}**********${person.idNumber.slice(-4)}`))
    assert.ok(!page.body.includes(person.idNumber), 'the full ID number is never shown')
    assert.ok(!page.body.includes(person.phone), 'the phone is masked')
    assert.ok(agent.cookieNames().includes('onedoor.account'))
    // The account centre's grant is OneDoor's own and is not listed as a portal.
    const auths = await agent.get(`${server.url}/account/authorisations`)
    assert.equal(auths.status, 200)
    assert.ok(!auths.body.includes('onedoor-account'))
  })

  it('reuses an existing OneDoor session without asking for the password again', async () => {
    const person = await server.addPerson()
    const { agent } = await signIn(server, portal, person, { redirectUri: REDIRECT_URI, scope: 'openid profile phone' })
    const page = await agent.get(`${server.url}/account`)
    assert.equal(page.status, 200)
    assert.equal(new URL(page.url).pathname, '/account')
  })

  it('sends a visitor without a session to sign in, and refuses a POST without one', async () => {
    const agent = new UserAgent()
    const res = await agent.get(`${server.url}/account/security`, (url) => url.pathname === '/auth')
    assert.equal(res.status, 0, 'redirected to the authorization endpoint')
    const post = await agent.postForm(`${server.url}/account/sessions/end-all`, { csrf: 'x' })
    assert.equal(post.status, 401)
    const forged = new UserAgent({ cookie: 'onedoor.account=eyJwZXJzb25JZCI6ImFiYyJ9.forged' })
    const res2 = await forged.get(`${server.url}/account`, (url) => url.pathname === '/auth')
    assert.equal(res2.status, 0)
  })

  it('refuses a callback with a bad state', async () => {
    const agent = new UserAgent()
    const res = await agent.get(`${server.url}/account/callback?code=abc&state=nope`)
    assert.equal(res.status, 400)
    const bad = await agent.get(`${server.url}/account/login?return=https://evil.example/`, (url) => url.pathname === '/auth')
    assert.equal(bad.status, 0)
    // A matching state but a code the token endpoint refuses: a clear page, no session.
    const state = new URL(bad.url).searchParams.get('state')!
    const refused = await agent.get(`${server.url}/account/callback?code=not-a-code&state=${state}&iss=${encodeURIComponent(server.url)}`)
    assert.equal(refused.status, 400)
    assert.ok(!agent.cookieNames().includes('onedoor.account'))
  })

  describe('security', () => {
    it('changes the password with the policy, rejecting bad input without writing', async () => {
      const person = await server.addPerson({ name: '吴十' })
      const agent = new UserAgent()
      const page = await openAccountCentre(server, agent, person, '/account/security')
      assert.equal(page.status, 200)
      const csrf = csrfOf(page)
      const hashBefore = (await server.onedoor.db('persons').where({ id: person.id }).first()).password_hash
      const wrongCurrent = await agent.postForm(`${server.url}/account/security/password`, { csrf, current: 'not it', password: 'a brand new passphrase' })
      assert.equal(wrongCurrent.status, 400)
      assert.match(wrongCurrent.body, /当前密码不正确/)
      const weak = await agent.postForm(`${server.url}/account/security/password`, { csrf, current: person.password, password: 'qwertyuiop' })
      assert.equal(weak.status, 400)
      assert.match(weak.body, /过于常见/)
      const named = await agent.postForm(`${server.url}/account/security/password`, { csrf, current: person.password, password: '吴十的新密码很长' })
      assert.equal(named.status, 400)
      const noCsrf = await agent.postForm(`${server.url}/account/security/password`, { current: person.password, password: 'a brand new passphrase' })
      assert.equal(noCsrf.status, 403)
      assert.equal((await server.onedoor.db('persons').where({ id: person.id }).first()).password_hash, hashBefore, 'nothing written')
      const ok = await agent.postForm(`${server.url}/account/security/password`, { csrf, current: person.password, password: 'a brand new passphrase' })
      assert.equal(ok.status, 200)
      assert.match(ok.body, /密码已修改/)
      assert.ok(await server.onedoor.services.persons.authenticateWithPassword(person.idNumber, 'a brand new passphrase'))
    })

    it('ends every other session with a password change when asked (the default), and none when not', async () => {
      const person = await server.addPerson()
      const elsewhere = await signIn(server, portal, person, { redirectUri: REDIRECT_URI })
      const agent = new UserAgent()
      const page = await openAccountCentre(server, agent, person, '/account/security')
      assert.match(page.body, /name="endOthers" type="checkbox" value="yes" checked/, 'offered, ticked by default')
      assert.equal((await server.onedoor.services.accountSessions.listSessions(person.id)).length, 2)

      const kept = await agent.postForm(`${server.url}/account/security/password`, { csrf: csrfOf(page), current: person.password, password: 'first new passphrase here' })
      assert.equal(kept.status, 200)
      assert.match(kept.body, /密码已修改。/)
      assert.equal(await userinfoStatus(server, elsewhere.tokens.access_token), 200, 'unticked: the other session goes on')

      const ended = await agent.postForm(`${server.url}/account/security/password`, { csrf: csrfOf(page), current: 'first new passphrase here', password: 'second new passphrase here', endOthers: 'yes' })
      assert.equal(ended.status, 200)
      assert.match(ended.body, /并已退出其他 1 个登录/)
      assert.equal(await userinfoStatus(server, elsewhere.tokens.access_token), 401, 'the other session’s tokens are revoked')
      const left = await server.onedoor.services.accountSessions.listSessions(person.id)
      assert.equal(left.length, 1, 'the account centre’s own session stays')
      assert.equal((await agent.get(`${server.url}/account/security`)).status, 200, 'and the person stays signed in to it')
    })

    it('lists sessions across portals and signs out everywhere: sessions end, grants and tokens are revoked', async () => {
      const person = await server.addPerson()
      const first = await signIn(server, portal, person, { redirectUri: REDIRECT_URI, scope: 'openid profile phone' })
      const second = await signIn(server, portal, person, { redirectUri: REDIRECT_URI, scope: 'openid profile' })
      assert.equal(await userinfoStatus(server, first.tokens.access_token), 200)
      const page = await openAccountCentre(server, first.agent, person, '/account/security')
      assert.equal(page.status, 200)
      assert.match(page.body, /哈尔滨市民服务/)
      assert.equal((page.body.match(/登录于/g) ?? []).length, 2, 'both sessions are listed')

      const ended = await first.agent.submit(page, '/sessions/end-all')
      assert.equal(ended.status, 200)
      assert.match(ended.body, /已退出所有登录/)
      assert.equal((await server.onedoor.services.accountSessions.listSessions(person.id)).length, 0)
      assert.equal((await server.onedoor.services.accountSessions.listGrants(person.id)).length, 0)
      assert.equal(await userinfoStatus(server, first.tokens.access_token), 401, 'access token revoked')
      const refresh = await postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: second.tokens.refresh_token! }, portal)
      assert.equal(refresh.status, 400, 'refresh token revoked')
      // The account centre's own session ended too.
      const after = await first.agent.get(`${server.url}/account`, (url) => url.pathname === '/auth')
      assert.equal(after.status, 0)
    })
  })

  describe('authorisations', () => {
    it('lists what each portal received and revokes one', async () => {
      const person = await server.addPerson()
      const signedIn = await signIn(server, portal, person, { redirectUri: REDIRECT_URI, scope: 'openid profile phone' })
      const page = await openAccountCentre(server, signedIn.agent, person, '/account/authorisations')
      assert.equal(page.status, 200)
      assert.match(page.body, /哈尔滨市民服务/)
      assert.match(page.body, /您的姓名/)
      assert.match(page.body, /您的手机号码/)
      const csrf = csrfOf(page)
      const missing = await signedIn.agent.postForm(`${server.url}/account/authorisations/revoke`, { csrf, grantId: 'not-a-grant' })
      assert.equal(missing.status, 404)
      const revoked = await signedIn.agent.submit(page, '/authorisations/revoke')
      assert.equal(revoked.status, 200)
      assert.match(revoked.body, /授权已撤销/)
      const grants = (await server.onedoor.services.accountSessions.listGrants(person.id)).filter((g) => g.clientId === portal.clientId)
      assert.equal(grants.length, 0)
      const refresh = await postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: signedIn.tokens.refresh_token! }, portal)
      assert.equal(refresh.status, 400)
    })

    it('cannot revoke another person\'s grant', async () => {
      const victim = await server.addPerson()
      await signIn(server, portal, victim, { redirectUri: REDIRECT_URI })
      const victimGrant = (await server.onedoor.services.accountSessions.listGrants(victim.id))[0]
      const attacker = await server.addPerson()
      const agent = new UserAgent()
      const page = await openAccountCentre(server, agent, attacker, '/account/authorisations')
      const res = await agent.postForm(`${server.url}/account/authorisations/revoke`, { csrf: csrfOf(page), grantId: victimGrant.id })
      assert.equal(res.status, 404)
      assert.equal((await server.onedoor.services.accountSessions.listGrants(victim.id)).length, 1)
    })
  })

  describe('personal information', () => {
    it('downloads my data as JSON, with the document number masked', async () => {
      const person = await server.addPerson({ name: '郑十一' })
      await server.onedoor.services.assurance.verifyAtCounter(person.id, 'counter staff 07')
      const { agent } = await signIn(server, portal, person, { redirectUri: REDIRECT_URI, scope: 'openid profile' })
      await openAccountCentre(server, agent, person, '/account/data')
      const res = await agent.get(`${server.url}/account/data/export`)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /application\/json/)
      assert.match(res.headers.get('content-disposition') ?? '', /attachment/)
      const data = JSON.parse(res.body)
      assert.equal(data.person.name, '郑十一')
      assert.equal(data.person.phone, person.phone)
      assert.ok(!res.body.includes(person.idNumber))
      assert.ok(data.sharing.some((s: { portal: string; scopes: string[] }) => s.portal === '哈尔滨市民服务' && s.scopes.includes('profile')))
      assert.deepEqual(data.secondFactor, { totp: false })
      assert.equal(data.realNameVerification.length, 1, 'the counter verification is part of my data')
      assert.equal(data.realNameVerification[0].level, 2)
      assert.equal(data.realNameVerification[0].verifiedBy, 'staff:counter staff 07')
      assert.deepEqual(data.mandatesAsAgent, [])
    })

    it('closes the account: checks the password, revokes everything, erases personal data, keeps the audit record', async () => {
      const person = await server.addPerson({ name: '王十二' })
      const signedIn = await signIn(server, portal, person, { redirectUri: REDIRECT_URI, scope: 'openid profile phone' })
      const page = await openAccountCentre(server, signedIn.agent, person, '/account/data')
      const csrf = csrfOf(page)
      const notConfirmed = await signedIn.agent.postForm(`${server.url}/account/close`, { csrf, password: person.password })
      assert.equal(notConfirmed.status, 400)
      const wrong = await signedIn.agent.postForm(`${server.url}/account/close`, { csrf, password: 'wrong', confirm: 'yes' })
      assert.equal(wrong.status, 400)
      assert.match(wrong.body, /当前密码不正确/)
      assert.ok(await server.onedoor.services.persons.findPerson(person.id), 'still open after bad input')

      const closed = await signedIn.agent.postForm(`${server.url}/account/close`, { csrf, password: person.password, confirm: 'yes' })
      assert.equal(closed.status, 200)
      assert.match(closed.body, /账号已注销/)
      const row = await server.onedoor.db('persons').where({ id: person.id }).first()
      assert.equal(row.name, '')
      assert.notEqual(row.phone, person.phone)
      assert.equal(row.id_number_sealed, '')
      assert.ok(row.closed_at)
      const closure = await server.onedoor.db('person_closures').where({ person_id: person.id }).first()
      assert.ok(closure, 'audit record kept')
      assert.equal(closure.document_masked, `${person.idNumber.slice(0, 4)}**********${person.idNumber.slice(-4)}`)
      assert.ok(Number(closure.grants_revoked) >= 1)
      assert.equal((await server.onedoor.services.accountSessions.listSessions(person.id)).length, 0)
      assert.equal((await server.onedoor.services.accountSessions.listGrants(person.id)).length, 0)
      assert.equal(await userinfoStatus(server, signedIn.tokens.access_token), 401)
      assert.equal(await server.onedoor.services.persons.authenticateWithPassword(person.idNumber, person.password), undefined)
      assert.equal(await server.onedoor.services.persons.authenticateWithPassword(person.phone, person.password), undefined)
      // The same ID number and phone may register again.
      const again = await server.addPerson({ idNumber: person.idNumber, phone: person.phone })
      assert.notEqual(again.id, person.id)
    })
  })
})
