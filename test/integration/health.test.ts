import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { oidc } from '../helpers/relying-party.js'
import { signIn } from '../helpers/sign-in.js'

describe('health, readiness and graceful shutdown', () => {
  describe('while running', () => {
    let server: TestServer
    before(async () => {
      server = await startOneDoor()
    })
    after(async () => server?.close())

    it('answers /healthz', async () => {
      const response = await fetch(`${server.url}/healthz`)
      assert.equal(response.status, 200)
      assert.deepEqual(await response.json(), { status: 'ok' })
      assert.equal(response.headers.get('cache-control'), 'no-store')
    })

    it('answers /readyz with every check passing: database, keys, accepting', async () => {
      const response = await fetch(`${server.url}/readyz`)
      assert.equal(response.status, 200)
      const body = (await response.json()) as { status: string; checks: Record<string, boolean> }
      assert.equal(body.status, 'ready')
      assert.equal(body.checks.database, true)
      assert.equal(body.checks.keys, true)
      assert.equal(body.checks.accepting, true)
    })
  })

  describe('on close', () => {
    let server: TestServer
    let closed = false
    after(async () => {
      if (!server) return
      if (closed) await server.database.drop()
      else await server.close()
    })

    it('turns readiness off, refuses new connections, lets the request in flight finish, then closes', async () => {
      server = await startOneDoor()
      // A portal whose back-channel logout endpoint answers only when told to: the user's logout
      // request stays in flight inside OneDoor meanwhile.
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      let arrived!: () => void
      const requestArrived = new Promise<void>((resolve) => (arrived = resolve))
      const portal = http.createServer((req, res) => {
        req.resume()
        arrived()
        void released.then(() => res.writeHead(200).end())
      })
      await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve))
      const portalPort = (portal.address() as AddressInfo).port
      try {
        const redirectUri = 'http://127.0.0.1:9/drain-cb'
        const postLogoutUri = 'http://127.0.0.1:9/drained'
        const client = await server.addClient({ redirectUris: [redirectUri], postLogoutRedirectUris: [postLogoutUri], backchannelLogoutUri: `http://127.0.0.1:${portalPort}/logout` })
        const person = await server.addPerson()
        const session = await signIn(server, client, person, { redirectUri })
        const endSession = oidc.buildEndSessionUrl(session.config, { id_token_hint: session.tokens.id_token!, post_logout_redirect_uri: postLogoutUri })
        const confirmation = await session.agent.get(endSession.toString())
        const inFlight = session.agent.submit(confirmation, '/session/end/confirm', { logout: 'yes' }, (url) => url.toString().startsWith(postLogoutUri))
        await requestArrived

        const closing = server.onedoor.close(10_000)
        closed = true
        const readiness = await request(server.onedoor.app.callback()).get('/readyz')
        assert.equal(readiness.status, 503)
        assert.equal(readiness.body.status, 'not_ready')
        assert.equal(readiness.body.checks.accepting, false)
        await assert.rejects(fetch(`${server.url}/healthz`), 'no new connections are accepted')

        release()
        const finished = await inFlight
        assert.equal(finished.status, 0, 'the in-flight logout completed and returned the user to the portal')
        await closing
      } finally {
        release()
        portal.closeAllConnections()
        await new Promise<void>((resolve) => portal.close(() => resolve()))
      }
    })
  })
})
