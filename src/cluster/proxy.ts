/*
 * A small round-robin HTTP proxy for local multi-node trials, the multi-node tests and the
 * two-node benchmark (production puts a real load balancer here). Forwarding itself is
 * http-proxy-3; this file decides where each request goes and what happens when a node is gone:
 *
 *   - it is the edge, so X-Forwarded-For/-Proto/-Host are set here and any a client sent is
 *     replaced (nodes trust them: a client must not choose the IP that rate limits count);
 *   - nodes are probed on /readyz; a node that is down or draining gets no new requests;
 *   - a request that never reached a node (connection refused) is sent to the next node, and so
 *     is an idempotent request that failed before any answer; a POST a node was working on
 *     when it died gets 502 (the user sends it again). The body is buffered for the retry.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Readable } from 'node:stream'
import { createProxyServer } from 'http-proxy-3'

export interface ProxyOptions {
  /** Base URLs of the nodes, e.g. http://127.0.0.1:3001. */
  targets: string[]
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** X-Forwarded-Proto sent to the nodes: 'https' when TLS ends in front of this proxy. */
  forwardedProto?: 'http' | 'https'
  /** How often each node's /readyz is probed. */
  healthIntervalMs?: number
  /** Largest request body accepted (it is buffered so that it can be re-sent). */
  maxBodyBytes?: number
}

export interface RoundRobinProxy {
  readonly url: string
  readonly port: number
  /** Requests each node answered, in the order of `targets`. */
  readonly served: readonly number[]
  /** Whether the proxy currently sends new requests to node `index`. */
  isUp(index: number): boolean
  /** Sends the following requests to node `index` while it is up (tests); undefined: round robin again. */
  pin(index: number | undefined): void
  /** Probes every node now (instead of waiting for the next interval). */
  checkHealth(): Promise<void>
  close(): Promise<void>
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

export async function startProxy(options: ProxyOptions): Promise<RoundRobinProxy> {
  if (options.targets.length === 0) throw new Error('the proxy needs at least one node')
  const targets = options.targets.map((t) => new URL(t))
  const up = targets.map(() => true)
  const served = targets.map(() => 0)
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  // With a timeout set, the agent drops an idle connection a second before the node's announced
  // keep-alive timeout (Keep-Alive: timeout=5), so it never sends on one the node is closing;
  // without one it ignores the hint. The timeout only emits an event on busy connections.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 60_000 })
  const proxy = createProxyServer({ agent, xfwd: false, changeOrigin: false })
  proxy.on('proxyRes', (_proxyRes, req) => {
    const index = (req as RoutedRequest).targetIndex
    if (index !== undefined) served[index] += 1
  })
  let next = 0
  let pinned: number | undefined

  /** The nodes to try for one request, in order: healthy ones first (round robin), then the rest. */
  function order(): number[] {
    const start = pinned ?? next++ % targets.length
    const all = targets.map((_, i) => (start + i) % targets.length)
    return [...all.filter((i) => up[i]), ...all.filter((i) => !up[i])]
  }

  function forward(req: RoutedRequest, res: http.ServerResponse, body: Buffer, candidates: number[]): void {
    const index = candidates[0]
    req.targetIndex = index
    proxy.web(req, res, { target: targets[index], buffer: Readable.from(body.length ? [body] : []) }, (err: NodeJS.ErrnoException) => {
      // Refused: the request never reached the node, so any request may go elsewhere. A reset can
      // come after the node started on it: only a request safe to repeat is sent again then.
      const notReached = err.code === 'ECONNREFUSED'
      if (notReached) up[index] = false
      const retry = !res.headersSent && candidates.length > 1 && (notReached || IDEMPOTENT.has(req.method ?? ''))
      if (retry) return forward(req, res, body, candidates.slice(1))
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      res.end('Bad gateway: no OneDoor node answered.\n')
    })
  }

  const server = http.createServer((req, res) => {
    setForwardedHeaders(req, options.forwardedProto ?? 'http')
    readBody(req, maxBodyBytes).then(
      (body) => forward(req, res, body, order()),
      () => {
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
        res.end('Request body too large.\n')
      },
    )
  })

  // A node is taken out at once when it refuses or answers "not ready", but only after two slow
  // probes in a row: a busy node is still a node.
  const slowProbes = targets.map(() => 0)
  async function checkHealth(): Promise<void> {
    await Promise.all(targets.map(async (target, i) => {
      const state = await probe(new URL('/readyz', target))
      slowProbes[i] = state === 'slow' ? slowProbes[i] + 1 : 0
      up[i] = state === 'ready' || (state === 'slow' && slowProbes[i] < 2)
    }))
  }
  const timer = setInterval(() => void checkHealth(), options.healthIntervalMs ?? 1000)
  timer.unref()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    served,
    isUp: (index) => up[index],
    pin(index) {
      pinned = index
    },
    checkHealth,
    async close() {
      clearInterval(timer)
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
      proxy.close()
      agent.destroy()
    },
  }
}

interface RoutedRequest extends http.IncomingMessage {
  targetIndex?: number
}

/** This proxy is the edge: what the client claimed about its address, scheme or host is replaced. */
function setForwardedHeaders(req: http.IncomingMessage, proto: 'http' | 'https'): void {
  delete req.headers.forwarded
  delete req.headers['x-forwarded-port']
  req.headers['x-forwarded-for'] = req.socket.remoteAddress ?? ''
  req.headers['x-forwarded-proto'] = proto
  req.headers['x-forwarded-host'] = req.headers.host ?? ''
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.pause()
        reject(new Error('body too large'))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

async function probe(url: URL): Promise<'ready' | 'not ready' | 'slow'> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
    await response.arrayBuffer()
    return response.status === 200 ? 'ready' : 'not ready'
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'slow' : 'not ready'
  }
}
