/*
 * Cookie signing keys rotate through configuration (ONEDOOR_COOKIE_KEYS, newest first): a new
 * key signs at once while cookies signed with an older listed key still verify; a key taken
 * off the list stops verifying (issue 2, Cookies).
 */
import assert from 'node:assert/strict'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { loadConfig } from '../../src/config/index.js'
import { createTestDatabase, freePort, TEST_SECRETS, type TestDatabase, type TestServer } from '../helpers/onedoor.js'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { signIn, type TestClient, type TestPerson } from '../helpers/sign-in.js'
import { registerClient } from '../../src/oidc/index.js'
import { UserAgent } from '../helpers/user-agent.js'

const OLD_KEY = 'old-cookie-key-0123456789abcdefghijklmnopq'
const NEW_KEY = 'new-cookie-key-0123456789abcdefghijklmnopq'

describe('cookie signing key rotation', () => {
  let database: TestDatabase
  let port: number
  let running: OneDoor | undefined
  let client: TestClient
  let person: TestPerson
  const redirectUri = 'http://127.0.0.1:9/cookie-cb'

  /** Starts OneDoor on the same port and database with the given cookie keys. */
  async function start(cookieKeys: string[]): Promise<TestServer> {
    await running?.close(2000)
    const config = loadConfig({ env: { NODE_ENV: 'test', ...TEST_SECRETS, ...database.env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, ONEDOOR_LOG_LEVEL: 'silent', ONEDOOR_COOKIE_KEYS: cookieKeys.join(',') } })
    running = await createOneDoor(config)
    await running.listen(port, '127.0.0.1')
    const onedoor = running
    return {
      url: config.issuer,
      port,
      config,
      onedoor,
      database,
      addPerson: async () => assert.fail('not used'),
      addClient: async (input: { redirectUris: string[] }) => {
        const registered = await registerClient({ config, clients: onedoor.services.clients, loadJwks: onedoor.services.keySet.loadSigningJwks }, { name: 'Cookie portal', ...input })
        return { clientId: registered.clientId, clientSecret: registered.clientSecret }
      },
      close: async () => {},
    }
  }

  async function silentError(server: TestServer, agent: UserAgent): Promise<string | null> {
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const authorization = await startAuthorization(config, { redirect_uri: redirectUri, prompt: 'none', scope: 'openid profile' })
    const landed = await agent.get(authorization.url.toString(), (url) => url.toString().startsWith(redirectUri))
    assert.equal(landed.status, 0)
    return new URL(landed.url).searchParams.get('error')
  }

  before(async () => {
    database = createTestDatabase()
    port = await freePort()
  })
  after(async () => {
    await running?.close(2000)
    await database?.drop()
  })

  it('keeps sessions signed with an older listed key and drops those of a removed key', async () => {
    const first = await start([OLD_KEY])
    client = await first.addClient({ redirectUris: [redirectUri] })
    const created = await first.onedoor.services.persons.registerPerson({ name: '孙七', idNumber: '11010519491231002X', phone: '13712345678', password: 'a long enough password' })
    person = { id: created.id, name: '孙七', idNumber: '11010519491231002X', phone: '13712345678', password: 'a long enough password' }
    const keptAgent = new UserAgent()
    const droppedAgent = new UserAgent()
    await signIn(first, client, person, { redirectUri, agent: keptAgent })
    await signIn(first, client, person, { redirectUri, agent: droppedAgent })
    assert.equal(await silentError(first, keptAgent), null)

    const rotated = await start([NEW_KEY, OLD_KEY])
    assert.equal(await silentError(rotated, keptAgent), null, 'a cookie signed with the older key still verifies')

    const retired = await start([NEW_KEY])
    assert.equal(await silentError(retired, droppedAgent), 'login_required', 'a cookie signed only with a removed key is ignored')
  })
})
