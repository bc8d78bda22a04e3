/*
 * Threat: online guessing of passwords (NIST 800-63B §5.2.2 allows at most 100 failures per
 * account), and account enumeration through the throttle itself. Counters live in the
 * database, so a second server process on the same database sees the same state.
 */
import assert from 'node:assert/strict'
import { randomIdNumber, startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { createOneDoor, type OneDoor } from '../../src/app.js'
import { openLoginPage, REDIRECT_URI } from './natural-helpers.js'

describe('failed sign-in throttling', function () {
  // 101 argon2 verifications per case: minutes on a loaded 2-core machine.
  this.timeout(300_000)
  let server: TestServer
  let clientId: string

  before(async () => {
    server = await startOneDoor()
    clientId = (await server.addClient({ name: 'Portal', redirectUris: [REDIRECT_URI], public: true })).clientId
  })
  after(async () => server?.close())

  async function hammer(identifier: string, attempts: number): Promise<{ statuses: number[]; lastBody: string }> {
    const { agent, page } = await openLoginPage(server, clientId)
    const statuses: number[] = []
    let lastBody = ''
    for (let i = 0; i < attempts; i += 1) {
      const res = await agent.submit(page, '/login', { identifier, password: `wrong password ${i}` })
      statuses.push(res.status)
      lastBody = res.body
    }
    return { statuses, lastBody }
  }

  it('throttles the 101st wrong password for an account, then refuses even the right one', async () => {
    const person = await server.addPerson()
    const { statuses, lastBody } = await hammer(person.idNumber, 101)
    assert.deepEqual(statuses.slice(0, 100), Array(100).fill(401))
    assert.equal(statuses[100], 429)
    assert.match(lastBody, /失败次数过多/)
    const { agent, page } = await openLoginPage(server, clientId)
    const right = await agent.submit(page, '/login', { identifier: person.idNumber, password: person.password })
    assert.equal(right.status, 429, 'throttled even with the right password')
    // The phone identifies the same account but counts on its own; the lowercase x form is the same ID number.
    const other = await openLoginPage(server, clientId)
    const viaPhone = await other.agent.submit(other.page, '/login', { identifier: person.phone, password: 'still wrong' })
    assert.equal(viaPhone.status, 401)
  })

  it('throttles an unknown ID number exactly like a known one (no enumeration)', async () => {
    const unknown = randomIdNumber()
    const { statuses, lastBody } = await hammer(unknown, 101)
    assert.deepEqual(statuses.slice(0, 100), Array(100).fill(401))
    assert.equal(statuses[100], 429)
    assert.match(lastBody, /失败次数过多/)
  })

  it('shares the state with another server process on the same database', async () => {
    const person = await server.addPerson()
    await hammer(person.phone, 100)
    const second: OneDoor = await createOneDoor(server.config)
    try {
      const { port } = await second.listen(0, '127.0.0.1')
      const res = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' })
      assert.ok(res.status > 0)
      const blocked = await second.services.persons.isSignInThrottled(second.services.persons.signInSubject(person.phone))
      assert.equal(blocked, true)
    } finally {
      await second.close(1000)
    }
  })
})

describe('failed sign-ins per IP', () => {
  let server: TestServer
  let clientId: string
  before(async () => {
    server = await startOneDoor({ overrides: { signIn: { failuresPerAccountPerHour: 100, failuresPerIpPerHour: 5 } } })
    clientId = (await server.addClient({ name: 'Portal', redirectUris: [REDIRECT_URI], public: true })).clientId
  })
  after(async () => server?.close())

  it('throttles one IP trying many accounts', async () => {
    const { agent, page } = await openLoginPage(server, clientId)
    const statuses = []
    for (let i = 0; i < 6; i += 1) statuses.push((await agent.submit(page, '/login', { identifier: randomIdNumber(), password: 'guess guess guess' })).status)
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
  })
})
