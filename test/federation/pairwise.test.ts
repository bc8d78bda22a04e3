/*
 * Pairwise subject identifiers per sector. Threat: two service systems of different sectors
 * join their user tables on sub and build a profile the person never agreed to.
 */
import assert from 'node:assert/strict'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { introspect, signIn, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'
import { oidc } from '../helpers/relying-party.js'

const redirectUri = 'http://127.0.0.1:9/callback'

describe('pairwise sub per sector', () => {
  let server: TestServer
  let person: TestPerson
  let other: TestPerson
  const clients: Record<string, { clientId: string; clientSecret?: string }> = {}

  before(async () => {
    server = await startOneDoor()
    person = await server.addPerson()
    other = await server.addPerson()
    const add = (name: string, sector?: string) =>
      server.addClient({ name, redirectUris: [redirectUri], allowedScopes: ['openid', 'profile'], pairwise: true, consentPolicy: 'implicit', sector })
    clients.approval = await add('审批业务系统', 'hlj-platform')
    clients.supervision = await add('电子监察系统', 'hlj-platform')
    clients.daoli = await add('道里区政务服务系统')
    clients.nangang = await add('南岗区政务服务系统')
  })
  after(async () => server?.close())

  async function subAt(name: string, who: TestPerson, agent: UserAgent): Promise<string> {
    const { tokens, config } = await signIn(server, clients[name], who, { redirectUri, agent })
    const sub = tokens.claims()!.sub
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub)
    assert.equal(userinfo.sub, sub, 'userinfo carries the same pairwise sub')
    return sub
  }

  it('is the same for systems of one sector, different across sectors, and stable over sign-ins', async () => {
    const agent = new UserAgent()
    const approval = await subAt('approval', person, agent)
    const supervision = await subAt('supervision', person, agent)
    const daoli = await subAt('daoli', person, agent)
    const nangang = await subAt('nangang', person, agent)
    assert.equal(approval, supervision, 'one sector (hlj-platform), one sub')
    assert.notEqual(approval, daoli)
    assert.notEqual(daoli, nangang, 'each system is its own sector by default')
    for (const sub of [approval, daoli, nangang]) assert.notEqual(sub, person.id, 'the internal account id never leaves as sub')
    assert.equal(await subAt('daoli', person, new UserAgent()), daoli, 'stable in a new browser session')
    assert.notEqual(await subAt('daoli', other, new UserAgent()), daoli, 'different people, different subs')
  })

  it('introspection reports the pairwise sub', async () => {
    const { tokens } = await signIn(server, clients.daoli, person, { redirectUri })
    const body = await introspect(server, clients.daoli, tokens.access_token)
    assert.equal(body.active, true)
    assert.equal(body.sub, tokens.claims()!.sub)
  })
})
