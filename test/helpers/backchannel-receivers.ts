/*
 * Stand-in portals for single-logout tests: each is a real HTTP server on 127.0.0.1 that
 * receives back-channel logout POSTs and keeps the tokens. A receiver can be taken down
 * (connection refused), made to hang (requests held until released) or to fail (HTTP 503).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'

export type ReceiverMode = 'ok' | 'hang' | 'fail'

export interface Receiver {
  readonly url: string
  readonly tokens: string[]
  /** Requests held by a hanging receiver, not yet answered. */
  readonly pending: number
  mode: ReceiverMode
  down(): Promise<void>
  up(): Promise<void>
  /** Answers every held request with `status` (and stops holding new ones if mode is changed). */
  release(status?: number): void
  close(): Promise<void>
}

export async function startReceiver(mode: ReceiverMode = 'ok'): Promise<Receiver> {
  const tokens: string[] = []
  const held: http.ServerResponse[] = []
  let port = 0
  let server: http.Server | undefined
  let currentMode = mode

  const handler: http.RequestListener = (req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      if (currentMode === 'hang') {
        held.push(res)
        return
      }
      if (currentMode === 'fail') {
        res.writeHead(503).end()
        return
      }
      const token = new URLSearchParams(body).get('logout_token')
      if (req.method === 'POST' && token) tokens.push(token)
      res.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' }).end()
    })
  }

  async function listen(): Promise<void> {
    server = http.createServer(handler)
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(port, '127.0.0.1', () => resolve())
    })
    port = (server.address() as AddressInfo).port
  }

  async function stop(): Promise<void> {
    if (!server) return
    const closing = server
    server = undefined
    for (const res of held.splice(0)) res.destroy()
    closing.closeAllConnections()
    await new Promise<void>((resolve) => closing.close(() => resolve()))
  }

  await listen()
  return {
    get url() {
      return `http://127.0.0.1:${port}/backchannel-logout`
    },
    tokens,
    get pending() {
      return held.length
    },
    get mode() {
      return currentMode
    },
    set mode(value: ReceiverMode) {
      currentMode = value
    },
    down: stop,
    up: listen,
    release(status = 200) {
      for (const res of held.splice(0)) res.writeHead(status).end()
    },
    close: stop,
  }
}

export interface LogoutTokenCheck {
  header: ReturnType<typeof decodeProtectedHeader>
  payload: JWTPayload & { events?: Record<string, unknown>; sid?: string; nonce?: unknown }
}

/** Verifies a logout token as a portal must (Back-Channel Logout §2.6) and returns its header and claims. */
export async function verifyLogoutToken(token: string, issuer: string, clientId: string): Promise<LogoutTokenCheck> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`))
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience: clientId, typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti'] })
  return { header: protectedHeader, payload: payload as LogoutTokenCheck['payload'] }
}
