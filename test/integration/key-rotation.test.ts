/*
 * Key rotation without breaking portals: a key is published (as "next") before it signs, so
 * portals that cache the JWKS already know it; the retired key stays published until every
 * token it signed has expired (issue 2, Signing keys).
 */
import assert from 'node:assert/strict'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { createKeySet } from '../../src/keys/index.js'
import { createSigningKeyStore } from '../../src/store/signing-keys.js'
import { runCli } from '../helpers/cli.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { eventually, signIn, type TestClient, type TestPerson } from '../helpers/sign-in.js'

interface KeyRow {
  kid: string
  alg: string
  state: 'next' | 'active' | 'retired'
  expires_at: number | string | null
}

describe('signing key rotation', () => {
  let server: TestServer
  let client: TestClient
  let es256Client: TestClient
  let person: TestPerson
  const redirectUri = 'http://127.0.0.1:9/keys-cb'

  before(async () => {
    server = await startOneDoor()
    client = await server.addClient({ redirectUris: [redirectUri] })
    es256Client = await server.addClient({ redirectUris: [redirectUri], extraMetadata: { id_token_signed_response_alg: 'ES256' } })
    person = await server.addPerson()
  })
  after(async () => server?.close())

  const keyRows = async (): Promise<KeyRow[]> => server.onedoor.db('signing_keys').select('kid', 'alg', 'state', 'expires_at')
  const jwks = async (): Promise<JSONWebKeySet> => (await (await fetch(`${server.url}/jwks`)).json()) as JSONWebKeySet
  const kidsOf = (set: JSONWebKeySet) => set.keys.map((k) => k.kid!)
  const keyIn = (rows: KeyRow[], alg: string, state: KeyRow['state']) => rows.find((r) => r.alg === alg && r.state === state)!

  it('publishes the next key before it signs, then signs with it after `onedoor keys rotate`', async () => {
    const rsBefore = await signIn(server, client, person, { redirectUri })
    const esBefore = await signIn(server, es256Client, person, { redirectUri })
    const before = await keyRows()
    const published = await jwks()
    for (const alg of ['RS256', 'ES256']) {
      const next = keyIn(before, alg, 'next')
      assert.ok(kidsOf(published).includes(next.kid), `${alg} next key is published before it signs`)
    }
    assert.equal(decodeProtectedHeader(rsBefore.tokens.id_token!).kid, keyIn(before, 'RS256', 'active').kid)
    assert.equal(decodeProtectedHeader(esBefore.tokens.id_token!).kid, keyIn(before, 'ES256', 'active').kid)

    const rotation = await runCli(server.database, ['keys', 'rotate', '--json'])
    assert.equal(rotation.code, 0, rotation.stderr)
    const result = JSON.parse(rotation.stdout) as { activated: string[]; retired: string[]; published: string[] }
    assert.deepEqual(new Set(result.activated), new Set([keyIn(before, 'RS256', 'next').kid, keyIn(before, 'ES256', 'next').kid]))

    const after = await keyRows()
    for (const alg of ['RS256', 'ES256']) {
      assert.equal(keyIn(after, alg, 'active').kid, keyIn(before, alg, 'next').kid, `${alg}: the published next key is now active`)
      const retired = after.find((r) => r.kid === keyIn(before, alg, 'active').kid)!
      assert.equal(retired.state, 'retired')
      assert.ok(Number(retired.expires_at) > Date.now(), 'retired with an expiry in the future')
      assert.ok(!kidsOf(published).includes(keyIn(after, alg, 'next').kid), `${alg}: a fresh next key was made`)
    }

    // The server polls the key set every keys.reloadIntervalSeconds (1 s in config/test.json).
    const reloaded = await eventually(async () => {
      const set = await jwks()
      return kidsOf(set).includes(keyIn(after, 'RS256', 'next').kid) ? set : undefined
    }, 'the server to reload its keys', 600)
    for (const row of after) assert.ok(kidsOf(reloaded).includes(row.kid), `${row.alg} ${row.state} key ${row.kid} is published`)

    // New tokens are signed with the key that was published before the rotation.
    const rsAfter = await oidc.refreshTokenGrant(rsBefore.config, rsBefore.tokens.refresh_token!)
    assert.equal(decodeProtectedHeader(rsAfter.id_token!).kid, keyIn(before, 'RS256', 'next').kid)
    const esAfter = await oidc.refreshTokenGrant(esBefore.config, esBefore.tokens.refresh_token!)
    assert.equal(decodeProtectedHeader(esAfter.id_token!).kid, keyIn(before, 'ES256', 'next').kid)

    // Tokens signed before the rotation still verify against the published key set.
    const keySet = createLocalJWKSet(reloaded)
    for (const [token, audience] of [[rsBefore.tokens.id_token!, client.clientId], [esBefore.tokens.id_token!, es256Client.clientId], [rsAfter.id_token!, client.clientId]] as const) {
      const { payload } = await jwtVerify(token, keySet, { issuer: server.url, audience })
      assert.equal(payload.sub, person.id)
    }
    assert.equal(rsAfter.claims()?.sub, person.id, 'openid-client accepted the new ID token')
  })

  it('drops a retired key from the JWKS once everything it signed has expired', async () => {
    let now = Date.now()
    const keySet = createKeySet({ store: createSigningKeyStore(server.onedoor.db), keyEncryptionKey: Buffer.from(server.config.secrets.keyEncryptionKey, 'base64'), algorithms: ['RS256'], retiredKeyLifetimeMs: 60_000, now: () => now })
    const { retired } = await keySet.rotateKeys()
    const published = async () => (await keySet.loadSigningJwks()).map((k) => k.kid)
    assert.ok((await published()).includes(retired[0]))
    now += 61_000
    assert.ok(!(await published()).includes(retired[0]))
  })
})
