/*
 * A small stand-in for a browser over HTTP: a cookie jar (honouring Path and deletion), manual
 * redirect following, and form submission from the real HTML pages. Browser-level behaviour
 * (rendering, CSP) is covered by the Chromium tests; this drives the protocol precisely.
 */
interface StoredCookie {
  name: string
  value: string
  path: string
  host: string
}

export interface PageResponse {
  status: number
  url: string
  headers: Headers
  body: string
}

export class UserAgent {
  private cookies: StoredCookie[] = []

  constructor(readonly headers: Record<string, string> = {}) {}

  /** GET, following redirects until `stopAt(url)` is true or a non-redirect answer arrives. */
  async get(url: string, stopAt?: (url: URL) => boolean): Promise<PageResponse> {
    return this.follow(new URL(url), { method: 'GET' }, stopAt)
  }

  async postForm(url: string, fields: Record<string, string>, stopAt?: (url: URL) => boolean): Promise<PageResponse> {
    return this.follow(new URL(url), { method: 'POST', body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' }, stopAt)
  }

  /** Submits the form whose action contains `actionPart`, with its hidden fields plus `fields`. */
  async submit(page: PageResponse, actionPart: string, fields: Record<string, string> = {}, stopAt?: (url: URL) => boolean): Promise<PageResponse> {
    const form = findForm(page.body, actionPart)
    if (!form) throw new Error(`no form with action containing ${actionPart} on ${page.url}:\n${page.body.slice(0, 500)}`)
    return this.postForm(new URL(form.action, page.url).toString(), { ...form.hidden, ...fields }, stopAt)
  }

  cookieNames(): string[] {
    return this.cookies.map((c) => c.name)
  }

  clearCookies(): void {
    this.cookies = []
  }

  private async follow(url: URL, request: { method: string; body?: string; contentType?: string }, stopAt?: (url: URL) => boolean): Promise<PageResponse> {
    let current = url
    let { method, body, contentType } = request
    for (let hop = 0; hop < 20; hop += 1) {
      if (stopAt?.(current)) return { status: 0, url: current.toString(), headers: new Headers(), body: '' }
      const headers: Record<string, string> = { accept: 'text/html', ...this.headers }
      const cookie = this.cookieHeader(current)
      if (cookie) headers.cookie = cookie
      if (contentType) headers['content-type'] = contentType
      const response = await fetch(current, { method, body, headers, redirect: 'manual' })
      this.store(current, response.headers.getSetCookie())
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current)
        method = 'GET'
        body = undefined
        contentType = undefined
        continue
      }
      return { status: response.status, url: current.toString(), headers: response.headers, body: await response.text() }
    }
    throw new Error('too many redirects')
  }

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.host && url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }

  private store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      let cookiePath = '/'
      let expired = value === ''
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=')
        if (key.toLowerCase() === 'path') cookiePath = val
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true
        if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === cookiePath && c.host === url.host))
      if (!expired) this.cookies.push({ name, value, path: cookiePath, host: url.host })
    }
  }
}

export function findForm(html: string, actionPart: string): { action: string; hidden: Record<string, string> } | undefined {
  const forms = html.match(/<form[\s\S]*?<\/form>/g) ?? []
  for (const form of forms) {
    const action = /action="([^"]*)"/.exec(form)?.[1]
    if (action === undefined || !action.includes(actionPart)) continue
    const hidden: Record<string, string> = {}
    for (const input of form.match(/<input[^>]*type="hidden"[^>]*>/g) ?? []) {
      const name = /name="([^"]*)"/.exec(input)?.[1]
      const value = /value="([^"]*)"/.exec(input)?.[1] ?? ''
      if (name) hidden[name] = decodeEntities(value)
    }
    return { action: decodeEntities(action), hidden }
  }
  return undefined
}

function decodeEntities(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
}
