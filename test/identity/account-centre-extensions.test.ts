import assert from 'node:assert/strict'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { requireAccountSession, type AccountExtension } from '../../src/account/index.js'
import { createTestDatabase, freePort, startOneDoor, testConfig, type TestDatabase, type TestServer } from '../helpers/onedoor.js'
import { signIn } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { REDIRECT_URI } from './natural-helpers.js'

describe('account centre: extension hook', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let onedoor: OneDoor
  let url: string

  // A page like identity-B's TOTP enrolment: mounted under /account, behind the account session.
  const extension: AccountExtension = {
    nav: [{ href: '/account/example', labelKey: 'account.nav.security' }],
    mount({ router, renderAccountPage }) {
      router.get('/example', async (ctx) => {
        const session = await requireAccountSession(ctx)
        if (!session) return
        renderAccountPage(ctx, 'account/message', { heading: 'account.title', body: 'account.signedOut', values: {} })
      })
    },
  }

  before(async () => {
    database = createTestDatabase()
    const port = await freePort()
    onedoor = await createOneDoor(testConfig(database, port), { accountExtensions: [extension] })
    url = (await onedoor.listen(port, '127.0.0.1')).url
  })
  after(async () => {
    await onedoor?.close(1000)
    await database?.drop()
  })

  it('mounts extension pages that require the account session', async () => {
    const anonymous = await new UserAgent().get(`${url}/account/example`, (u) => u.pathname === '/auth')
    assert.equal(anonymous.status, 0, 'no session: sent to sign in')
    const person = { name: '测试', idNumber: '', phone: '', password: 'a decent passphrase' }
    const created = await onedoor.services.persons.registerPerson({ ...person, idNumber: '11010519491231002X', phone: '13700001111' })
    const agent = new UserAgent()
    let page = await agent.get(`${url}/account/example`)
    page = await agent.submit(page, '/login', { identifier: '13700001111', password: person.password })
    assert.equal(page.status, 200)
    assert.equal(new URL(page.url).pathname, '/account/example')
    assert.match(page.body, /href="\/account\/example"/, 'the extension is in the navigation')
    assert.ok(created.id)
  })
})

describe('account centre: ending one session', function () {
  this.timeout(120_000)
  let server: TestServer
  before(async () => {
    server = await startOneDoor()
  })
  after(async () => server?.close())

  it('ends another session only, and refuses a uid that is not the person\'s', async () => {
    const portal = await server.addClient({ name: '松北区政务服务', redirectUris: [REDIRECT_URI] })
    const person = await server.addPerson()
    const stranger = await server.addPerson()
    const elsewhere = await signIn(server, portal, person, { redirectUri: REDIRECT_URI })
    const strangers = await signIn(server, portal, stranger, { redirectUri: REDIRECT_URI })
    assert.ok(elsewhere && strangers)
    const agent = new UserAgent()
    let page = await agent.get(`${server.url}/account/security`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    assert.equal(page.status, 200)
    const sessions = await server.onedoor.services.accountSessions.listSessions(person.id)
    assert.equal(sessions.length, 2)
    const other = sessions.find((s) => !('onedoor-account' in s.authorizations))!
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]
    const strangerUid = (await server.onedoor.services.accountSessions.listSessions(stranger.id))[0].uid
    const refused = await agent.postForm(`${server.url}/account/sessions/end`, { csrf, uid: strangerUid })
    assert.equal(refused.status, 404)
    assert.equal((await server.onedoor.services.accountSessions.listSessions(stranger.id)).length, 1)
    const ended = await agent.postForm(`${server.url}/account/sessions/end`, { csrf, uid: other.uid })
    assert.equal(ended.status, 200)
    assert.match(ended.body, /该登录已退出/)
    const left = await server.onedoor.services.accountSessions.listSessions(person.id)
    assert.deepEqual(left.map((s) => s.uid), sessions.filter((s) => s.uid !== other.uid).map((s) => s.uid))
  })
})

describe('account centre: its first-party client', function () {
  this.timeout(120_000)
  it('is registered once, then follows an issuer change instead of failing the start', async () => {
    const { ensureAccountCentreClient, ACCOUNT_CENTRE_CLIENT_ID } = await import('../../src/account/index.js')
    let stored: { metadata: Record<string, unknown>; status: string } | undefined
    let registrations = 0
    const deps = (issuer: string) => ({
      issuer,
      findRecord: async () => stored,
      updateMetadata: async (_id: string, metadata: Record<string, unknown>) => {
        stored = { ...stored!, metadata }
      },
      register: async (input: { clientId: string; redirectUris: string[]; postLogoutRedirectUris: string[] }) => {
        registrations += 1
        assert.equal(input.clientId, ACCOUNT_CENTRE_CLIENT_ID)
        stored = { status: 'active', metadata: { redirect_uris: input.redirectUris, post_logout_redirect_uris: input.postLogoutRedirectUris, client_name: 'x' } }
      },
    })
    await ensureAccountCentreClient(deps('https://id.example.gov.cn'))
    await ensureAccountCentreClient(deps('https://id.example.gov.cn'))
    assert.equal(registrations, 1)
    await ensureAccountCentreClient(deps('https://sso.example.gov.cn/'))
    assert.deepEqual(stored!.metadata.redirect_uris, ['https://sso.example.gov.cn/account/callback'])
    assert.equal(stored!.metadata.client_name, 'x', 'other metadata kept')
    assert.equal(registrations, 1)
  })
})
