/*
 * The demo portal host: every federated system as a real relying party (openid-client), each at
 * /portals/<key>/ on one HTTP server. A page shows the system, the person signed in there and
 * the claims it received; opening a portal without a local session tries a silent sign-in
 * (prompt=none), so one OneDoor login reaches every portal. Each portal has a back-channel
 * logout endpoint that verifies OneDoor's logout token (jose, against the published JWKS) and
 * ends that portal's local sessions: a local session ends only that way or by its sign-out.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import Koa, { type Context } from 'koa'
import * as oidc from 'openid-client'
import { DEMO_CSS, indexPage, messagePage, portalPage } from './pages.js'
import type { DemoPortal, PortalSession, ReceivedLogout } from './types.js'

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const BROWSER_COOKIE = 'demo_portal_browser'
/** Errors of a prompt=none attempt that just mean "not signed in here (yet)". */
const SILENT_MISSES = new Set(['login_required', 'consent_required', 'interaction_required', 'account_selection_required'])
const PENDING_TTL_MS = 10 * 60_000

export type BackchannelMode = 'up' | 'down' | 'hang'

export interface PortalHostOptions {
  /** OneDoor's issuer URL. */
  issuer: string
  /** The host's own public base URL (what redirect URIs were registered with), e.g. http://localhost:3001 */
  publicUrl: string
  portals: DemoPortal[]
  /** Group titles on the index page, by group code. */
  groupTitles?: Record<string, string>
}

export type PortalHost = ReturnType<typeof createPortalHost>

export function createPortalHost(options: PortalHostOptions) {
  const publicUrl = options.publicUrl.replace(/\/$/, '')
  const portals = new Map(options.portals.map((p) => [p.key, p]))
  const sessions = new Map<string, Map<string, PortalSession>>() // browser → portal → session
  const pending = new Map<string, { browserId: string; portalKey: string; codeVerifier: string; nonce: string; silent: boolean; at: number }>()
  const silentlyChecked = new Map<string, Set<string>>() // browser → portals where prompt=none found no session
  const seenJti = new Map<string, number>()
  const modes = new Map<string, BackchannelMode>()
  const waiters = new Set<() => void>()
  const received: ReceivedLogout[] = []
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`))
  const insecure = options.issuer.startsWith('http://')
  let serverMetadata: Promise<oidc.ServerMetadata> | undefined
  const configs = new Map<string, oidc.Configuration>()
  let server: http.Server | undefined

  const app = new Koa()
  const router = new Router({ strict: true })
  router.get('/', showIndex)
  router.get('/demo.css', (ctx) => {
    ctx.type = 'text/css'
    ctx.body = DEMO_CSS
  })
  router.get('/portals/:key', (ctx) => ctx.redirect(`/portals/${ctx.params.key}/`))
  router.get('/portals/:key/', showPortal)
  router.get('/portals/:key/login', startSignIn)
  router.get('/portals/:key/callback', finishSignIn)
  router.post('/portals/:key/logout', signOut)
  router.post('/portals/:key/outage', toggleOutage)
  router.post('/portals/:key/backchannel-logout', bodyParser({ enableTypes: ['form'], formLimit: '64kb' }), receiveLogoutToken)
  app.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    ctx.set('referrer-policy', 'no-referrer')
    await next()
  })
  app.use(router.routes())
  app.use(router.allowedMethods())

  return {
    app,
    /** Accepted logout tokens, oldest first (tests read them). */
    received,
    async listen(port: number, hostname?: string): Promise<{ port: number }> {
      server = http.createServer(app.callback())
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject)
        server!.listen(port, hostname, () => resolve())
      })
      return { port: (server.address() as AddressInfo).port }
    },
    async close(): Promise<void> {
      setMode('*', 'up')
      if (!server) return
      server.closeAllConnections()
      await new Promise<void>((resolve) => server!.close(() => resolve()))
    },
    /** Simulates a portal whose back-channel endpoint is unreachable ('down') or never answers ('hang'). */
    setBackchannelMode: setMode,
    /** Back-channel requests held unanswered by portals in 'hang' mode. */
    held(): number {
      return waiters.size
    },
    /** Local sessions of a portal, across browsers. */
    sessionCount(key: string): number {
      let n = 0
      for (const byPortal of sessions.values()) if (byPortal.has(key)) n += 1
      return n
    },
  }

  function portalOf(ctx: Context): DemoPortal {
    const portal = portals.get(String(ctx.params.key))
    if (!portal) ctx.throw(404, 'no such portal')
    return portal
  }

  function browserOf(ctx: Context): string {
    let id = ctx.cookies.get(BROWSER_COOKIE)
    if (!id || !/^[A-Za-z0-9_-]{20,64}$/.test(id)) {
      id = randomBytes(18).toString('base64url')
      ctx.cookies.set(BROWSER_COOKIE, id, { httpOnly: true, sameSite: 'lax', path: '/', overwrite: true })
    }
    return id
  }

  async function configFor(portal: DemoPortal): Promise<oidc.Configuration> {
    const known = configs.get(portal.key)
    if (known) return known
    serverMetadata ??= oidc
      .discovery(new URL(options.issuer), portal.clientId, portal.clientSecret, undefined, insecure ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .then((c) => c.serverMetadata())
    serverMetadata.catch(() => (serverMetadata = undefined))
    const config = new oidc.Configuration(await serverMetadata, portal.clientId, portal.clientSecret, oidc.ClientSecretBasic(portal.clientSecret))
    if (insecure) oidc.allowInsecureRequests(config)
    configs.set(portal.key, config)
    return config
  }

  function showIndex(ctx: Context) {
    const browserId = browserOf(ctx)
    const mine = sessions.get(browserId)
    const groups = new Map<string, { title: string; portals: { portal: DemoPortal; signedIn: boolean }[] }>()
    for (const portal of portals.values()) {
      const group = groups.get(portal.groupCode) ?? { title: options.groupTitles?.[portal.groupCode] ?? portal.groupCode, portals: [] }
      group.portals.push({ portal, signedIn: mine?.has(portal.key) ?? false })
      groups.set(portal.groupCode, group)
    }
    ctx.type = 'html'
    ctx.body = indexPage([...groups.values()], mine?.size ?? 0)
  }

  async function showPortal(ctx: Context) {
    const portal = portalOf(ctx)
    const browserId = browserOf(ctx)
    const session = sessions.get(browserId)?.get(portal.key)
    // No session here yet: ask OneDoor silently, once, whether the browser is signed in there.
    if (!session && !silentlyChecked.get(browserId)?.has(portal.key) && ctx.query.silent !== 'no') {
      return redirectToAuthorize(ctx, portal, browserId, { prompt: 'none' })
    }
    ctx.type = 'html'
    ctx.body = portalPage({
      portal,
      session,
      neighbours: neighboursOf(portal),
      received: received.filter((r) => r.portalKey === portal.key),
      backchannel: (modes.get(portal.key) ?? 'up') === 'up' ? 'up' : 'down',
      issuer: options.issuer,
    })
  }

  async function startSignIn(ctx: Context) {
    const portal = portalOf(ctx)
    const prompt = typeof ctx.query.prompt === 'string' && ['login', 'consent'].includes(ctx.query.prompt) ? ctx.query.prompt : undefined
    const maxAge = typeof ctx.query.max_age === 'string' && /^\d{1,6}$/.test(ctx.query.max_age) ? ctx.query.max_age : undefined
    return redirectToAuthorize(ctx, portal, browserOf(ctx), { ...(prompt ? { prompt } : {}), ...(maxAge ? { max_age: maxAge } : {}) })
  }

  async function redirectToAuthorize(ctx: Context, portal: DemoPortal, browserId: string, params: Record<string, string>) {
    const config = await configFor(portal)
    const codeVerifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const nonce = oidc.randomNonce()
    forgetOldPending()
    pending.set(state, { browserId, portalKey: portal.key, codeVerifier, nonce, silent: params.prompt === 'none', at: Date.now() })
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${publicUrl}/portals/${portal.key}/callback`,
      scope: portal.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    })
    ctx.redirect(url.href)
  }

  async function finishSignIn(ctx: Context) {
    const portal = portalOf(ctx)
    const browserId = browserOf(ctx)
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : ''
    const started = pending.get(state)
    const page = `/portals/${portal.key}/`
    if (!started || started.portalKey !== portal.key || started.browserId !== browserId) {
      ctx.status = 400
      ctx.type = 'html'
      ctx.body = messagePage('Sign-in expired', 'This sign-in is unknown or expired; please start again.', page)
      return
    }
    pending.delete(state)
    const error = typeof ctx.query.error === 'string' ? ctx.query.error : undefined
    if (error) {
      if (started.silent && SILENT_MISSES.has(error)) {
        markChecked(browserId, portal.key)
        return ctx.redirect(page)
      }
      ctx.status = 400
      ctx.type = 'html'
      ctx.body = messagePage('Sign-in did not complete', `OneDoor answered: ${error}`, `${page}?silent=no`)
      return
    }
    const config = await configFor(portal)
    const tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, publicUrl), { pkceCodeVerifier: started.codeVerifier, expectedState: state, expectedNonce: started.nonce })
    const claims = tokens.claims()!
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => undefined)
    const session: PortalSession = {
      browserId,
      portalKey: portal.key,
      sub: claims.sub,
      ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
      claims,
      ...(userinfo ? { userinfo: { ...userinfo } } : {}),
      idToken: tokens.id_token!,
      signedInAt: Date.now(),
    }
    const byPortal = sessions.get(browserId) ?? new Map<string, PortalSession>()
    byPortal.set(portal.key, session)
    sessions.set(browserId, byPortal)
    // Signed in at OneDoor now: portals found signed out earlier are worth a fresh silent check.
    silentlyChecked.delete(browserId)
    ctx.redirect(page)
  }

  /** RP-initiated logout: ends the local session, then OneDoor's (which tells every other portal). */
  async function signOut(ctx: Context) {
    const portal = portalOf(ctx)
    const browserId = browserOf(ctx)
    const session = sessions.get(browserId)?.get(portal.key)
    const page = `/portals/${portal.key}/`
    if (!session) return ctx.redirect(page)
    sessions.get(browserId)!.delete(portal.key)
    markChecked(browserId, portal.key)
    const config = await configFor(portal)
    ctx.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${publicUrl}${page}` }).href)
  }

  function toggleOutage(ctx: Context) {
    const portal = portalOf(ctx)
    setMode(portal.key, (modes.get(portal.key) ?? 'up') === 'up' ? 'down' : 'up')
    ctx.redirect(`/portals/${portal.key}/?silent=no`)
  }

  /** Back-Channel Logout 1.0 §2.6–2.8: validate the token, end the matching local sessions, answer 200 (or 400). */
  async function receiveLogoutToken(ctx: Context) {
    const portal = portalOf(ctx)
    const mode = modes.get(portal.key) ?? 'up'
    if (mode === 'down') {
      ctx.req.socket.destroy()
      ctx.respond = false
      return
    }
    if (mode === 'hang') await new Promise<void>((resolve) => waiters.add(resolve))
    const token = (ctx.request as unknown as { body?: Record<string, unknown> }).body?.logout_token
    try {
      if (typeof token !== 'string') throw new Error('logout_token missing')
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: portal.clientId,
        typ: 'logout+jwt',
        maxTokenAge: '5 minutes',
        requiredClaims: ['iat', 'jti', 'events'],
      })
      checkLogoutClaims(payload)
      const ended = endLocalSessions(portal.key, payload)
      received.push({
        portalKey: portal.key,
        at: Date.now(),
        ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
        ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
        ended,
        header: { ...protectedHeader },
        claims: { ...payload },
      })
      ctx.status = 200
    } catch (err) {
      ctx.status = 400
      ctx.body = { error: 'invalid_request', error_description: (err as Error).message }
    }
  }

  function checkLogoutClaims(payload: JWTPayload): void {
    const events = payload.events as Record<string, unknown> | undefined
    if (!events || typeof events[BACKCHANNEL_LOGOUT_EVENT] !== 'object') throw new Error('events claim missing the back-channel logout event')
    if ('nonce' in payload) throw new Error('a logout token must not carry a nonce')
    if (typeof payload.sub !== 'string' && typeof payload.sid !== 'string') throw new Error('sub or sid required')
    const jti = String(payload.jti)
    if (seenJti.has(jti)) throw new Error('logout token replayed')
    const now = Date.now()
    for (const [seen, expiresAt] of seenJti) if (expiresAt < now) seenJti.delete(seen)
    seenJti.set(jti, (typeof payload.exp === 'number' ? payload.exp * 1000 : now) + 600_000)
  }

  /** With a sid, that session; with sub only, every session of that subject at this portal. */
  function endLocalSessions(portalKey: string, payload: JWTPayload): number {
    let ended = 0
    for (const byPortal of sessions.values()) {
      const session = byPortal.get(portalKey)
      if (!session) continue
      const matches = typeof payload.sid === 'string' ? session.sid === payload.sid : session.sub === payload.sub
      if (matches) {
        byPortal.delete(portalKey)
        ended += 1
      }
    }
    return ended
  }

  function setMode(key: string, mode: BackchannelMode): void {
    if (key === '*') modes.clear()
    else modes.set(key, mode)
    if (mode !== 'hang') {
      for (const resolve of waiters) resolve()
      waiters.clear()
    }
  }

  function markChecked(browserId: string, key: string): void {
    const set = silentlyChecked.get(browserId) ?? new Set<string>()
    set.add(key)
    silentlyChecked.set(browserId, set)
  }

  function forgetOldPending(): void {
    const cutoff = Date.now() - PENDING_TTL_MS
    for (const [state, p] of pending) if (p.at < cutoff) pending.delete(state)
  }

  function neighboursOf(portal: DemoPortal): DemoPortal[] {
    const all = [...portals.values()].filter((p) => p.key !== portal.key)
    const sameGroup = all.filter((p) => p.groupCode === portal.groupCode)
    const prefectures = all.filter((p) => p.groupCode !== portal.groupCode && /^\d{2}\d{2}00$/.test(p.key))
    return [...sameGroup, ...prefectures].slice(0, 24)
  }
}
