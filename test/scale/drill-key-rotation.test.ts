/*
 * Fault drill 4 (issue 6): `onedoor keys rotate` while relying parties are busy against two nodes.
 * Real openid-client 6 relying parties (one RS256 portal, one ES256 portal) sign residents in
 * through the proxy, redeem codes, refresh tokens and call userinfo without pause, verifying
 * every ID token's signature against the JWKS they cached at their first verification
 * (enableNonRepudiationChecks). The rotation activates the key every node already published as
 * "next", and each node reloads its key set within keys.reloadIntervalSeconds (1 s in
 * config/test.json), so no relying party sees a validation failure at any step.
 *
 * The relying parties' back-channel calls (token, userinfo, JWKS) go straight to a node picked
 * at random, so each ID token can be traced to the node that signed it: both nodes must be seen
 * signing with the new key, without a restart.
 */
import assert from 'node:assert/strict'
import { decodeProtectedHeader } from 'jose'
import { useTestCluster } from '../helpers/cluster.js'
import { assertNothingLost, countDurableRows } from '../helpers/durable-counts.js'
import { seedDrillData, type DrillData, type Portal } from '../helpers/drill-fixture.js'
import { discover, oidc, signInThroughPages, startAuthorization } from '../helpers/relying-party.js'
import { eventually, type TestPerson } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

interface SignedToken {
  portal: string
  step: 'code' | 'refresh'
  node: string
  kid: string
  at: number
}

interface KeyRow {
  kid: string
  alg: string
  state: 'next' | 'active' | 'retired'
}

describe('fault drill: signing-key rotation under relying-party load', function () {
  this.timeout(150_000)
  const env = useTestCluster({ nodes: 2 })
  let data: DrillData

  before(async () => {
    data = await seedDrillData(env.cluster.database.env, { persons: 2, portals: [{}, { extraMetadata: { id_token_signed_response_alg: 'ES256' } }] })
  })
  after(async () => data?.close())

  it('lets relying parties sign in, refresh and verify ID tokens throughout, with both nodes switching keys', async () => {
    const { cluster } = env
    const nodes = cluster.nodes.map((n) => ({ name: n.name, url: n.url }))
    const keysBefore: KeyRow[] = await cluster.db('signing_keys').select('kid', 'alg', 'state')
    const keyIn = (rows: KeyRow[], alg: string, state: KeyRow['state']) => rows.find((r) => r.alg === alg && r.state === state)!.kid

    const signed: SignedToken[] = []
    const failures: string[] = []
    const jwksFetches = new Map<string, number>()
    let running = true
    const parties = data.portals.map((portal, i) => relyingParty({ issuer: cluster.url, nodes, portal, person: data.persons[i], signed, failures, jwksFetches, running: () => running }))

    // Load first: both parties have signed in, refreshed and cached the JWKS before the rotation.
    const underWay = () => data.portals.every((p) => signed.filter((s) => s.portal === p.clientId && s.step === 'refresh').length >= 2)
    await eventually(async () => (underWay() || failures.length > 0 ? true : undefined), 'both relying parties to be under way', 1200)
    assert.deepEqual(failures, [], 'no relying party saw a failure before the rotation')
    const before = await countDurableRows(data.db)

    const rotatedAt = Date.now()
    const rotation = await cluster.runCli(['keys', 'rotate', '--json'])
    assert.equal(rotation.code, 0, rotation.stderr)
    const { activated } = JSON.parse(rotation.stdout) as { activated: string[] }
    assert.deepEqual(new Set(activated), new Set([keyIn(keysBefore, 'RS256', 'next'), keyIn(keysBefore, 'ES256', 'next')]), 'the keys published as next are the ones activated')

    // Keep the load on until each party has had tokens from each node signed with the new key.
    const newKid = (i: number) => keyIn(keysBefore, i === 0 ? 'RS256' : 'ES256', 'next')
    const switched = () => data.portals.every((portal, i) => nodes.every((node) => signed.some((s) => s.portal === portal.clientId && s.node === node.name && s.kid === newKid(i))))
    await eventually(async () => (switched() || failures.length > 0 ? true : undefined), 'every node to sign each party’s tokens with the new key', 1200)
    running = false
    await Promise.all(parties)

    assert.deepEqual(failures, [], 'no relying party saw a failure')
    for (const [i, portal] of data.portals.entries()) {
      const alg = i === 0 ? 'RS256' : 'ES256'
      const mine = signed.filter((s) => s.portal === portal.clientId)
      // Only the old active key (until a node has reloaded) and the new one ever signed.
      for (const token of mine) assert.ok([keyIn(keysBefore, alg, 'active'), keyIn(keysBefore, alg, 'next')].includes(token.kid), `${alg} token signed with ${token.kid}`)
      assert.ok(mine.some((s) => s.at < rotatedAt && s.kid === keyIn(keysBefore, alg, 'active')), `${alg}: tokens signed with the old key before the rotation`)
      // The new key was in the JWKS the party downloaded before the rotation: no refetch needed.
      assert.equal(jwksFetches.get(portal.clientId), 1, `${alg}: JWKS downloads`)
    }

    // Both nodes publish the same key set: old (retired), new active and a fresh next key.
    const keysAfter: KeyRow[] = await cluster.db('signing_keys').select('kid', 'alg', 'state')
    for (const node of nodes) {
      const published = ((await (await fetch(`${node.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort()
      assert.deepEqual(published, keysAfter.map((k) => k.kid).sort(), `${node.name} publishes every key`)
    }
    const counts = (kind: SignedToken['step']) => signed.filter((s) => s.step === kind).length
    process.stdout.write(`      drill 4: ${counts('code')} code flows and ${counts('refresh')} refreshes verified by 2 relying parties across 2 nodes; no failures\n`)

    await assertNothingLost(data.config, data.db, before)
  })
})

interface RelyingPartyOptions {
  issuer: string
  nodes: { name: string; url: string }[]
  portal: Portal
  person: TestPerson
  signed: SignedToken[]
  failures: string[]
  /** JWKS downloads per portal: openid-client fetches it once and keeps it while its keys serve. */
  jwksFetches: Map<string, number>
  running: () => boolean
}

/**
 * One portal's openid-client, discovered once and kept (with its JWKS cache) for the whole
 * drill: sign-in through the pages, code exchange, then refreshes and userinfo, over and over.
 * Every error any step throws is a failure of the drill.
 */
async function relyingParty(options: RelyingPartyOptions): Promise<void> {
  const { issuer, nodes, portal, person } = options
  let step = 'discovery'
  try {
    const config = await discover(issuer, portal.clientId, portal.clientSecret)
    // ID tokens' signatures are checked against the JWKS (cached per Configuration), not only
    // trusted because they came over the back channel.
    oidc.enableNonRepudiationChecks(config)
    let servedBy = ''
    config[oidc.customFetch] = (url, init) => {
      const node = nodes[Math.floor(Math.random() * nodes.length)]
      servedBy = node.name
      if (new URL(url).pathname === '/jwks') options.jwksFetches.set(portal.clientId, (options.jwksFetches.get(portal.clientId) ?? 0) + 1)
      return fetch(url.replace(issuer, node.url), init as RequestInit)
    }
    const record = (kind: SignedToken['step'], idToken: string | undefined) => {
      assert.ok(idToken, `an ID token from the ${kind} grant`)
      options.signed.push({ portal: portal.clientId, step: kind, node: servedBy, kid: decodeProtectedHeader(idToken).kid!, at: Date.now() })
    }
    while (options.running()) {
      step = 'sign-in'
      const start = await startAuthorization(config, { redirect_uri: portal.redirectUri, scope: 'openid profile' })
      const { callbackUrl } = await signInThroughPages(new UserAgent(), start.url, portal.redirectUri, { identifier: person.idNumber, password: person.password })
      step = 'code exchange'
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
      record('code', tokens.id_token)
      const sub = tokens.claims()!.sub
      let refreshToken = tokens.refresh_token!
      for (let i = 0; i < 5 && options.running(); i += 1) {
        step = 'refresh'
        const refreshed = await oidc.refreshTokenGrant(config, refreshToken)
        refreshToken = refreshed.refresh_token ?? refreshToken
        record('refresh', refreshed.id_token)
        step = 'userinfo'
        await oidc.fetchUserInfo(config, refreshed.access_token, sub)
      }
    }
  } catch (err) {
    options.failures.push(`${portal.clientId} at ${step}: ${err instanceof Error ? `${err.message} ${JSON.stringify((err as { cause?: unknown }).cause ?? '')}` : String(err)}`)
  }
}
