/*
 * The load generator's HTTP side: plain node:http over keep-alive sockets (one socket per
 * virtual user, so "16 connections" means 16 sockets), and a tiny cookie-jar user agent that
 * follows redirects and submits the real login and consent forms. Kept separate from test/ on
 * purpose: the benchmark must not depend on the test helpers.
 */
import http from 'node:http'

export interface Target {
  /** Where requests go (always plain http on loopback). */
  origin: string
  /** The issuer the server believes it has; absolute URLs under it are mapped onto `origin`. */
  issuer: string
  /** Extra headers on every request (X-Forwarded-Proto when the issuer is https behind a "proxy"). */
  headers: Record<string, string>
}

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One keep-alive socket per Connection: requests on it are strictly sequential. */
export class Connection {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

  constructor(readonly target: Target) {}

  request(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const url = new URL(path, this.target.origin)
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: url.hostname,
          port: url.port,
          method,
          path: url.pathname + url.search,
          headers: { ...this.target.headers, ...options.headers, ...(options.body !== undefined ? { 'content-length': Buffer.byteLength(options.body) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      if (options.body !== undefined) req.write(options.body)
      req.end()
    })
  }

  postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    return this.request('POST', path, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    })
  }

  close(): void {
    this.agent.destroy()
  }
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

interface Cookie {
  name: string
  value: string
  path: string
}

/**
 * A browser stand-in over one Connection: cookie jar (Path-scoped, deletions honoured), manual
 * redirects, and form submission. Stops when a redirect leaves the issuer (the RP callback).
 */
export class Browser {
  private cookies: Cookie[] = []

  constructor(private readonly connection: Connection) {}

  /** Follows redirects from `url`; returns the final page, or the first URL outside the issuer. */
  async navigate(url: string, form?: Record<string, string>): Promise<{ page?: Reply; url: URL }> {
    let current = new URL(url, this.connection.target.issuer)
    let body = form
    for (let hop = 0; hop < 10; hop += 1) {
      if (current.origin !== new URL(this.connection.target.issuer).origin) return { url: current }
      const headers: Record<string, string> = { accept: 'text/html' }
      const cookie = this.cookieHeader(current.pathname)
      if (cookie) headers.cookie = cookie
      const path = current.pathname + current.search
      const reply = body ? await this.connection.postForm(path, body, headers) : await this.connection.request('GET', path, { headers })
      this.store(reply.headers['set-cookie'] ?? [])
      const location = reply.headers.location
      if (reply.status >= 300 && reply.status < 400 && location) {
        current = new URL(location, current)
        body = undefined
        continue
      }
      return { page: reply, url: current }
    }
    throw new Error('too many redirects')
  }

  /** Submits the form whose action contains `actionPart` on `page` (hidden inputs + fields). */
  submit(page: { page?: Reply; url: URL }, actionPart: string, fields: Record<string, string> = {}) {
    const html = page.page?.body ?? ''
    const form = (html.match(/<form[\s\S]*?<\/form>/g) ?? []).find((f) => (/action="([^"]*)"/.exec(f)?.[1] ?? '').includes(actionPart))
    if (!form) throw new Error(`no form ${actionPart} at ${page.url.pathname} (status ${page.page?.status}): ${html.slice(0, 300)}`)
    const action = decode(/action="([^"]*)"/.exec(form)![1])
    const hidden: Record<string, string> = {}
    for (const input of form.match(/<input[^>]*type="hidden"[^>]*>/g) ?? []) {
      const name = /name="([^"]*)"/.exec(input)?.[1]
      if (name) hidden[name] = decode(/value="([^"]*)"/.exec(input)?.[1] ?? '')
    }
    return this.navigate(new URL(action, page.url).toString(), { ...hidden, ...fields })
  }

  private cookieHeader(path: string): string {
    return this.cookies.filter((c) => path.startsWith(c.path)).map((c) => `${c.name}=${c.value}`).join('; ')
  }

  private store(lines: string[]): void {
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      let path = '/'
      let expired = value === ''
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=')
        const k = key.toLowerCase()
        if (k === 'path') path = val
        if (k === 'max-age' && Number(val) <= 0) expired = true
        if (k === 'expires' && Date.parse(val) < Date.now()) expired = true
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path))
      if (!expired) this.cookies.push({ name, value, path })
    }
  }
}

function decode(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
}
