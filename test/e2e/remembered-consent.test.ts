import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { afterThisSecond, type TestClient } from '../helpers/sign-in.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

type Person = Awaited<ReturnType<TestServer['addPerson']>>

const isConsentPage = (page: PageResponse) => page.body.includes('/confirm"')

describe('remembered consent: a returning resident is not asked again', function () {
  this.timeout(120_000)
  let server: TestServer
  let portal: TestClient
  const redirectUri = 'http://127.0.0.1:9/callback'

  before(async () => {
    server = await startOneDoor()
    portal = await server.addClient({ name: '南岗区政务服务', redirectUris: [redirectUri] })
  })
  after(async () => server?.close())

  /** A sign-in in a new browser session (new cookie jar): the pages passed and the tokens. */
  async function signInAnew(person: Person, scope: string, params: Record<string, string> = {}) {
    const config = await discover(server.url, portal.clientId, portal.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope, ...params })
    const { callbackUrl, pages } = await signInThroughPages(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, person.id)
    return { consentPages: pages.filter(isConsentPage), tokens, userinfo }
  }

  it('asks once, then signs the person in to the portal in a new session without the consent page, with the same claims', async () => {
    const person = await server.addPerson({ name: '孙七' })
    const first = await signInAnew(person, 'openid profile')
    assert.equal(first.consentPages.length, 1, 'the first sign-in asks for consent')
    assert.match(first.consentPages[0].body, /您的姓名/)
    assert.match(first.consentPages[0].body, /您的选择会被记住/, 'the page says the choice is remembered')
    assert.equal(first.userinfo.name, '孙七')

    const again = await signInAnew(person, 'openid profile')
    assert.equal(again.consentPages.length, 0, 'no consent page in a new session')
    assert.equal(again.userinfo.name, '孙七', 'the remembered scope is granted')
    assert.equal(again.tokens.claims()!.sub, person.id)
    const grants = (await server.onedoor.services.accountSessions.listGrants(person.id)).filter((g) => g.clientId === portal.clientId)
    assert.equal(grants.length, 2, 'each session still gets a grant of its own, listed in the account centre')
    assert.ok(grants.every((g) => g.scope.split(' ').includes('profile')))

    const stranger = await server.addPerson()
    assert.equal((await signInAnew(stranger, 'openid profile')).consentPages.length, 1, 'another person is asked')
  })

  it('asks only for what was not allowed before, and remembers that too', async () => {
    const person = await server.addPerson()
    await signInAnew(person, 'openid profile')
    const wider = await signInAnew(person, 'openid profile phone')
    assert.equal(wider.consentPages.length, 1, 'a new scope is asked for')
    assert.match(wider.consentPages[0].body, /您的手机号码/)
    assert.doesNotMatch(wider.consentPages[0].body, /您的姓名/, 'the scope allowed before is not asked for again')
    assert.equal(wider.userinfo.phone_number, `+86${person.phone}`)
    assert.ok(wider.userinfo.name, 'both scopes are granted')

    const later = await signInAnew(person, 'openid profile phone')
    assert.equal(later.consentPages.length, 0)
    assert.equal(later.userinfo.phone_number, `+86${person.phone}`)
    const narrower = await signInAnew(person, 'openid')
    assert.equal(narrower.consentPages.length, 0)
    assert.equal(narrower.userinfo.name, undefined, 'a grant holds only what this request asked for')
    assert.deepEqual((await server.onedoor.services.consents.find(person.id, portal.clientId))?.scopes.sort(), ['openid', 'phone', 'profile'])
  })

  it('shows the consent page when the portal asks with prompt=consent', async () => {
    const person = await server.addPerson()
    await signInAnew(person, 'openid profile')
    const forced = await signInAnew(person, 'openid profile', { prompt: 'login consent' })
    assert.equal(forced.consentPages.length, 1)
  })

  it('forgets the consent when the person revokes the portal in the account centre, so the portal asks again', async () => {
    const person = await server.addPerson()
    await signInAnew(person, 'openid profile')
    const agent = new UserAgent()
    let page = await agent.get(`${server.url}/account/authorisations`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    assert.match(page.body, /南岗区政务服务/)
    const revoked = await agent.submit(page, '/authorisations/revoke')
    assert.match(revoked.body, /授权已撤销/)
    assert.equal(await server.onedoor.services.consents.find(person.id, portal.clientId), undefined)
    assert.equal((await signInAnew(person, 'openid profile')).consentPages.length, 1, 'asked again')
  })

  it('lists a remembered consent whose grants are gone, and forgets it on request (only the person\'s own)', async () => {
    const person = await server.addPerson()
    const other = await server.addClient({ name: '香坊区政务服务', redirectUris: [redirectUri] })
    await server.onedoor.services.consents.remember(person.id, other.clientId, { scopes: ['openid', 'phone'], claims: [] })
    const agent = new UserAgent()
    let page = await agent.get(`${server.url}/account/authorisations`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    assert.match(page.body, /已记住的同意/)
    assert.match(page.body, /香坊区政务服务/)
    assert.match(page.body, /您的手机号码/)
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]
    const exported = JSON.parse((await agent.get(`${server.url}/account/data/export`)).body) as { sharing: { clientId: string; record: string; scopes: string[] }[] }
    assert.deepEqual(
      exported.sharing.filter((s) => s.clientId === other.clientId).map((s) => ({ record: s.record, scopes: s.scopes })),
      [{ record: 'remembered consent', scopes: ['openid', 'phone'] }],
      'the data download includes the remembered consent',
    )

    const unknown = await agent.postForm(`${server.url}/account/authorisations/forget`, { csrf, clientId: portal.clientId })
    assert.equal(unknown.status, 404, 'nothing to forget for a portal the person never allowed')
    const victim = await server.addPerson()
    await server.onedoor.services.consents.remember(victim.id, portal.clientId, { scopes: ['openid'], claims: [] })
    await agent.postForm(`${server.url}/account/authorisations/forget`, { csrf, clientId: portal.clientId })
    assert.ok(await server.onedoor.services.consents.find(victim.id, portal.clientId), 'another person\'s consent is untouched')

    const forgotten = await agent.submit(page, '/authorisations/forget')
    assert.equal(forgotten.status, 200)
    assert.match(forgotten.body, /已撤销同意/)
    assert.equal(await server.onedoor.services.consents.find(person.id, other.clientId), undefined)
    const bad = await agent.postForm(`${server.url}/account/authorisations/forget`, { csrf: 'wrong', clientId: other.clientId })
    assert.ok(bad.status >= 400 && bad.status < 500, `a bad CSRF token is refused (${bad.status})`)
  })

  it('forgets every consent when the person signs out everywhere', async () => {
    const person = await server.addPerson()
    await signInAnew(person, 'openid profile')
    assert.ok(await server.onedoor.services.consents.find(person.id, portal.clientId))
    const agent = new UserAgent()
    let page = await agent.get(`${server.url}/account/security`)
    page = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    const ended = await agent.submit(page, '/sessions/end-all')
    assert.equal(ended.status, 200)
    assert.equal(await server.onedoor.services.consents.find(person.id, portal.clientId), undefined)
    await afterThisSecond()
    assert.equal((await signInAnew(person, 'openid profile')).consentPages.length, 1)
  })
})
