/*
 * Raising the real-name level inside a sign-in (issue 3): phone proven by SMS plus a name + ID
 * number check through the identity-verification service (http driver, a vendor stand-in on
 * loopback), recorded as evidence; a mismatch or an unreachable vendor is explained on the page.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ACR, walkSignIn } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('online real-name verification (level 2) within the sign-in', () => {
  let server: TestServer
  let vendor: http.Server
  let config: oidc.Configuration
  const requests: { name: string; idNumber: string; authorization?: string }[] = []
  const redirectUri = 'http://127.0.0.1:9/cb'
  const essentialLevel2 = JSON.stringify({ id_token: { acr: { essential: true, values: [ACR[2]] } } })

  before(async () => {
    vendor = http.createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        const parsed = JSON.parse(body) as { name: string; idNumber: string }
        requests.push({ ...parsed, authorization: req.headers.authorization })
        if (parsed.name === '服务故障') {
          res.writeHead(502).end()
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ match: parsed.name !== '不匹配', reference: 'vendor-ref-1' }))
      })
    })
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/verify`
    server = await startOneDoor({ overrides: { assurance: { identityVerification: { driver: 'http', url, token: 'vendor-token', timeoutMs: 5000 } } } })
    const client = await server.addClient({ name: '医保', redirectUris: [redirectUri] })
    config = await discover(server.url, client.clientId, client.clientSecret)
  })
  after(async function () {
    this.timeout(120_000)
    await server?.close()
    await new Promise((resolve) => vendor?.close(resolve))
  })

  async function provenPhonePerson(name: string) {
    const person = await server.addPerson({ name })
    await server.onedoor.db('persons').where({ id: person.id }).update({ phone_verified_at: Date.now() })
    return person
  }

  async function raisePage(person: { idNumber: string; password: string }) {
    const start = await startAuthorization(config, { redirect_uri: redirectUri, claims: essentialLevel2, ui_locales: 'en' })
    const agent = new UserAgent()
    const walked = await walkSignIn(agent, start.url, redirectUri, { identifier: person.idNumber, password: person.password })
    assert.match(walked.page.body, /How to raise your level/)
    return { start, agent, page: walked.page }
  }

  it('verifies name and ID number with the vendor, records the evidence and continues at level 2', async () => {
    const person = await provenPhonePerson('陈在线')
    const { start, agent, page } = await raisePage(person)
    const atRp = (u: URL) => u.toString().startsWith(redirectUri)
    let next = await agent.submit(page, '/verify-online', {}, atRp)
    if (next.status !== 0) next = await agent.submit(next, '/confirm', {}, atRp)
    assert.equal(next.status, 0, 'back at the relying party')
    const tokens = await oidc.authorizationCodeGrant(config, new URL(next.url), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    assert.equal(tokens.claims()!.acr, ACR[2])
    const sent = requests.at(-1)!
    assert.deepEqual(sent, { name: '陈在线', idNumber: person.idNumber, authorization: 'Bearer vendor-token' })
    const evidence = await server.onedoor.services.assurance.listEvidence(person.id)
    assert.equal(evidence.length, 1)
    assert.equal(evidence[0].method, 'online_idv')
    assert.equal(evidence[0].verifiedBy, 'idv:http')
    assert.equal(evidence[0].reference, 'vendor-ref-1')
  })

  it('explains a mismatch and an unreachable vendor on the page, and records nothing', async () => {
    for (const [name, status, text] of [['不匹配', 422, /could not be verified/], ['服务故障', 503, /not available/]] as const) {
      const person = await provenPhonePerson(name)
      const { agent, page } = await raisePage(person)
      const answer = await agent.submit(page, '/verify-online', {})
      assert.equal(answer.status, status)
      assert.match(answer.body, text)
      assert.match(answer.body, /service hall/, 'still explains the counter route')
      assert.equal((await server.onedoor.services.assurance.listEvidence(person.id)).length, 0)
      assert.equal(await server.onedoor.services.assurance.identityLevel(person.id), 1)
    }
  })

  it('asks for the phone to be proven first, without calling the vendor', async () => {
    const person = await server.addPerson()
    const before = requests.length
    const { page } = await raisePage(person)
    assert.ok(!page.body.includes('/verify-online"'))
    assert.match(page.body, /proven by SMS first/)
    assert.equal(requests.length, before)
  })
})
