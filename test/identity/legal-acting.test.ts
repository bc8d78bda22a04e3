/*
 * Acting for a legal person (issue 3): an agent signs in as themself, chooses the enterprise, and
 * the relying party (openid-client) receives the enterprise as the subject with the agent as the
 * RFC 8693 actor. Mandate changes apply at the next issuance: a revoked mandate fails the refresh.
 */
import assert from 'node:assert/strict'
import { walkSignIn } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent, type PageResponse } from '../helpers/user-agent.js'

const USCC = '91230102MA00002690'

describe('an agent acting for an enterprise', () => {
  let server: TestServer
  let config: oidc.Configuration
  let representative: Awaited<ReturnType<TestServer['addPerson']>>
  let agentPerson: Awaited<ReturnType<TestServer['addPerson']>>
  let enterpriseId: string
  let mandateId: string
  const redirectUri = 'http://127.0.0.1:9/cb'

  before(async () => {
    server = await startOneDoor()
    const client = await server.addClient({ name: '企业开办', redirectUris: [redirectUri] })
    config = await discover(server.url, client.clientId, client.clientSecret)
    representative = await server.addPerson({ name: '王法人' })
    agentPerson = await server.addPerson({ name: '赵经办' })
    const { enterprises, mandates } = server.onedoor.services
    const enterprise = await enterprises.registerEnterprise({ uscc: USCC, name: '哈尔滨冰城科技有限公司', legalRepresentativeIdNumber: representative.idNumber })
    enterpriseId = enterprise.id
    mandateId = (await mandates.grantMandate(representative.id, { enterpriseId, agentIdNumber: agentPerson.idNumber, clientIds: [client.clientId] })).id
  })
  // Closing (and dropping a PostgreSQL schema) can be slow on a shared, loaded machine.
  after(async function () {
    this.timeout(120_000)
    await server?.close()
  })

  async function signIn(person: { idNumber: string; password: string }, actAs: (page: PageResponse) => string, scope = 'openid profile legal_person') {
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope })
    const walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, actAs })
    assert.ok(walked.callbackUrl, `reached the relying party (stopped at ${walked.page.status} ${walked.page.body.slice(0, 200)})`)
    const tokens = await oidc.authorizationCodeGrant(config, walked.callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    return { tokens, pages: walked.pages }
  }

  const chooseEnterprise = (page: PageResponse) => {
    assert.match(page.body, /哈尔滨冰城科技有限公司/)
    assert.ok(page.body.includes(USCC))
    return /name="subject" value="([a-z0-9]{24})"/.exec(page.body)![1]
  }

  it('issues enterprise claims with the agent as actor, checked by openid-client (ID token and userinfo)', async () => {
    const self = await signIn(agentPerson, () => 'self')
    const selfClaims = self.tokens.claims()!
    assert.equal(selfClaims.person_type, 'natural')
    const selfInfo = await oidc.fetchUserInfo(config, self.tokens.access_token, selfClaims.sub)
    assert.equal(selfInfo.uscc, undefined)
    assert.equal(selfInfo.name, '赵经办')

    const acting = await signIn(agentPerson, chooseEnterprise)
    const claims = acting.tokens.claims()!
    assert.equal(claims.person_type, 'legal')
    assert.notEqual(claims.sub, selfClaims.sub, 'sub identifies the enterprise, not the agent')
    // Scope claims reach the ID token only through userinfo (conformIdTokenClaims); openid-client checks sub matches.
    const userinfo = await oidc.fetchUserInfo(config, acting.tokens.access_token, claims.sub)
    assert.equal(userinfo.sub, claims.sub)
    assert.equal(userinfo.person_type, 'legal')
    assert.equal(userinfo.uscc, USCC)
    assert.equal(userinfo.org_name, '哈尔滨冰城科技有限公司')
    assert.equal(userinfo.org_type, 'enterprise')
    assert.equal(userinfo.agent_role, 'agent')
    assert.deepEqual(userinfo.act, { sub: selfClaims.sub, name: '赵经办' }, 'the actor is the agent, with the sub this client knows them by')

    // Asked for through the claims parameter, the ID token carries them too.
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid legal_person', claims: JSON.stringify({ id_token: { uscc: null, act: null, agent_role: null } }) })
    const walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: agentPerson.idNumber, password: agentPerson.password, actAs: chooseEnterprise })
    const idToken = (await oidc.authorizationCodeGrant(config, walked.callbackUrl!, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })).claims()!
    assert.equal(idToken.uscc, USCC)
    assert.equal(idToken.agent_role, 'agent')
    assert.deepEqual(idToken.act, { sub: selfClaims.sub, name: '赵经办' })

    // The legal representative acts for the same enterprise under the same sub, in their own role.
    const rep = await signIn(representative, chooseEnterprise)
    assert.equal(rep.tokens.claims()!.sub, claims.sub)
    const repInfo = await oidc.fetchUserInfo(config, rep.tokens.access_token, claims.sub)
    assert.equal(repInfo.agent_role, 'legal_representative')
  })

  it('keeps a refresh working while the mandate stands, and fails it with invalid_grant once revoked', async () => {
    const acting = await signIn(agentPerson, chooseEnterprise)
    assert.ok(acting.tokens.refresh_token)
    const refreshed = await oidc.refreshTokenGrant(config, acting.tokens.refresh_token!)
    assert.equal(refreshed.claims()!.sub, acting.tokens.claims()!.sub)
    assert.equal(refreshed.claims()!.person_type, 'legal')
    assert.equal((await oidc.fetchUserInfo(config, refreshed.access_token, acting.tokens.claims()!.sub)).uscc, USCC)

    await server.onedoor.services.mandates.revokeMandate(representative.id, enterpriseId, mandateId)
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token ?? acting.tokens.refresh_token!), (err: { error?: string }) => {
      assert.equal(err.error, 'invalid_grant')
      return true
    })
    // The agent's own identity is unaffected, and the enterprise is no longer offered.
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid profile legal_person' })
    const walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: agentPerson.idNumber, password: agentPerson.password })
    assert.ok(walked.callbackUrl, 'no acting-for page without a valid mandate')
    assert.ok(walked.pages.every((p) => !p.body.includes('/act"')))
  })

  it('refuses an enterprise the person has no mandate for', async () => {
    const stranger = await server.addPerson()
    await server.onedoor.services.mandates.grantMandate(representative.id, { enterpriseId, agentIdNumber: stranger.idNumber })
    const start = await startAuthorization(config, { redirect_uri: redirectUri, scope: 'openid legal_person' })
    const agent = new UserAgent()
    const walked = await walkSignIn(agent, start.url, redirectUri, { identifier: stranger.idNumber, password: stranger.password })
    assert.ok(walked.page.body.includes('/act"'))
    const forged = await agent.submit(walked.page, '/act', { subject: 'x'.repeat(24) })
    assert.equal(forged.status, 400)
    assert.ok(forged.body.includes('/act"'), 'the choice page again, with an error')
  })
})
