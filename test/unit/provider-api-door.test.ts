/*
 * The back-end door's last line of defence (src/http/provider-api.ts): koa catches every error
 * inside the provider, but if handing a call over ever failed, the caller must get an answer or
 * a closed connection, never a request left hanging. The provider cannot be made to fail here,
 * so these cases give the door a hand-over that does.
 */
import assert from 'node:assert/strict'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { providerApiDoor } from '../../src/http/provider-api.js'

describe('the provider back-end door', () => {
  let server: http.Server
  let url: string
  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>

  before(async () => {
    const door = providerApiDoor({
      paths: new Set(['/token']),
      logger: pino({ level: 'silent' }),
      securityHeaders: [['x-content-type-options', 'nosniff']],
      isDraining: () => false,
      handle: (req, res) => handle(req, res),
    })
    server = http.createServer((req, res) => {
      if (!door(req, res)) res.writeHead(204, { 'x-served-by': 'app' }).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('leaves every other path to the application', async () => {
    handle = async () => assert.fail('not a provider path')
    const response = await fetch(`${url}/tokens?x=1`)
    assert.equal(response.status, 204)
    assert.equal(response.headers.get('x-served-by'), 'app')
  })

  it('answers server_error JSON with the request id when the hand-over fails before answering', async () => {
    handle = async () => {
      throw new Error('provider unavailable')
    }
    const response = await fetch(`${url}/token?x=1`, { method: 'POST', headers: { 'x-request-id': 'door-test-0001' } })
    assert.equal(response.status, 500)
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(response.headers.get('x-request-id'), 'door-test-0001')
    assert.deepEqual(await response.json(), { error: 'server_error', error_description: 'An unexpected error occurred. Please try again later.', request_id: 'door-test-0001' })
  })

  it('closes the connection when the hand-over fails after the answer began', async () => {
    handle = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"access_token":')
      throw new Error('failed mid-answer')
    }
    await assert.rejects(async () => (await fetch(`${url}/token`, { method: 'POST' })).text())
  })
})
