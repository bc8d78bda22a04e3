/*
 * The admin console under /admin: server-rendered pages over the same administration service as
 * the API (so can() is checked the same way). Administrators sign in through OneDoor itself:
 * the console is a first-party OIDC client (code + PKCE, acr_values from config.admin.requiredAcr),
 * then holds its own idle-limited session.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { Context } from 'koa'
import { formField as field } from '../http/form.js'
import type { Audit } from '../audit/index.js'
import type { Config } from '../config/index.js'
import { VIEWS_DIR } from '../http/render.js'
import type { AdminStore } from '../store/admin.js'
import { cookieOptions, createCookieSigner, LOGIN_COOKIE, newToken, SESSION_COOKIE, sessionKey } from './console-session.js'
import type { AdminPages } from './pages.js'
import { AdminError } from './errors.js'
import type { Actor } from './roles.js'
import { can } from './roles.js'
import type { DivisionScope } from './scope.js'
import * as S from './schemas.js'
import type { Administration } from './service.js'
import { ADMIN_API_SCOPE, adminApiResource, CONSOLE_CLIENT_ID, type TokenVerifier } from './tokens.js'
import { parseInput } from './validate.js'
import type { Dashboard } from './dashboard.js'
import { formHelpers, formStateOf, isFormError, type FormState } from './form-errors.js'
import { PASSWORD_POLICIES } from '../accounts/index.js'

export interface ConsoleDeps {
  config: Config
  administration: Administration
  audit: Audit
  store: AdminStore
  scope: DivisionScope
  tokens: TokenVerifier
  pages: AdminPages
  dashboard: Dashboard
  /** Where the console reaches OneDoor's token endpoint (the issuer unless configured otherwise). */
  tokenEndpoint: string
  now?: () => number
}

export function adminConsoleRoutes(deps: ConsoleDeps): Router {
  const router = new Router({ prefix: '/admin' })
  const { administration: admin, config, pages } = deps
  const now = deps.now ?? Date.now
  const signer = createCookieSigner(config.secrets.cookieKeys[0])
  const idleMs = config.admin.idleMinutes * 60_000
  const form = bodyParser({ enableTypes: ['form'], formLimit: '32kb', onError: () => { throw AdminError.INVALID_INPUT() } })
  const css = readFileSync(path.join(VIEWS_DIR, 'admin', 'admin.css'))
  const redirectUri = `${config.issuer}/admin/callback`

  router.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    await next()
  })

  router.get('/assets/admin.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8'
    ctx.set('cache-control', 'public, max-age=3600')
    ctx.body = css
  })

  // ------------------------------------------------------------------ sign-in through OneDoor

  router.get('/login', (ctx) => {
    const verifier = randomBytes(32).toString('base64url')
    const state = randomBytes(16).toString('base64url')
    const nonce = randomBytes(16).toString('base64url')
    ctx.cookies.set(LOGIN_COOKIE, signer.sign(`${state}|${nonce}|${verifier}`), cookieOptions(ctx, 'lax', 10 * 60_000))
    const params = new URLSearchParams({
      client_id: CONSOLE_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: `openid ${ADMIN_API_SCOPE}`,
      resource: adminApiResource(config.issuer),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state,
      nonce,
      prompt: 'login',
    })
    if (config.admin.requiredAcr) params.set('acr_values', config.admin.requiredAcr)
    const locale = pages.locale(ctx)
    params.set('ui_locales', locale)
    ctx.redirect(`${config.issuer}/auth?${params}`)
  })

  router.get('/callback', async (ctx) => {
    const saved = signer.unsign(ctx.cookies.get(LOGIN_COOKIE))?.split('|')
    ctx.cookies.set(LOGIN_COOKIE, '', cookieOptions(ctx, 'lax'))
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : undefined
    if (!saved || saved.length !== 3 || ctx.query.state !== saved[0] || !code) throw AdminError.UNAUTHENTICATED()
    const [, nonce, verifier] = saved
    const response = await fetch(deps.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: CONSOLE_CLIENT_ID, code_verifier: verifier, resource: adminApiResource(config.issuer) }),
    })
    const tokens = (await response.json().catch(() => ({}))) as { id_token?: string }
    const idToken = response.ok && tokens.id_token ? await deps.tokens.idToken(tokens.id_token, nonce) : undefined
    if (!idToken?.sub) throw AdminError.UNAUTHENTICATED()
    const acr = typeof idToken.acr === 'string' ? idToken.acr : null
    const from = { type: 'admin' as const, id: idToken.sub, ip: ctx.ip, userAgent: ctx.get('user-agent') }
    if (config.admin.requiredAcr && acr !== config.admin.requiredAcr) {
      await deps.audit.record({ type: 'admin.access.denied', actor: from, result: 'failure', errorCode: 'ADMIN_ASSURANCE_TOO_LOW', details: { acr } })
      throw AdminError.ASSURANCE_TOO_LOW()
    }
    const actor = await admin.actorFor(idToken.sub, from)
    if (!actor) {
      await deps.audit.record({ type: 'admin.access.denied', actor: from, result: 'failure', errorCode: 'ADMIN_FORBIDDEN', details: { reason: 'no administrator role' } })
      throw AdminError.FORBIDDEN()
    }
    const token = newToken()
    await admin.startConsoleSession(actor, { id: sessionKey(token), acr })
    ctx.cookies.set(SESSION_COOKIE, token, cookieOptions(ctx, 'strict'))
    ctx.redirect((await admin.passwordExpired(actor.personId)) ? '/admin/password' : '/admin')
  })

  router.get('/signed-out', (ctx) => pages.render(ctx, 'signed-out', {}))

  // ------------------------------------------------------------------ everything below needs a session

  router.use(async (ctx, next) => {
    if (['/admin/login', '/admin/callback', '/admin/signed-out', '/admin/assets/admin.css'].includes(ctx.path)) return next()
    const token = ctx.cookies.get(SESSION_COOKIE)
    const session = token ? await deps.store.touchSession(sessionKey(token), idleMs, now()) : undefined
    if (!token || !session) {
      if (ctx.method === 'GET' && ctx.accepts('html')) return ctx.redirect('/admin/login')
      throw AdminError.UNAUTHENTICATED()
    }
    const actor = await admin.actorFor(session.personId, { ip: ctx.ip, userAgent: ctx.get('user-agent') })
    if (!actor) throw AdminError.FORBIDDEN()
    ctx.state.actor = actor
    ctx.state.sessionToken = token
    ctx.state.csrf = signer.csrf(token)
    // Periodic change: with an expired password only the change page (and signing out) is open.
    if (!['/admin/password', '/admin/logout'].includes(ctx.path) && (await admin.passwordExpired(actor.personId))) {
      if (ctx.method === 'GET' && ctx.accepts('html')) return ctx.redirect('/admin/password')
      throw AdminError.PASSWORD_EXPIRED()
    }
    await next()
  })

  // Every POST carries the session's CSRF token (SameSite=Strict is the first line; this the second).
  const csrf = async (ctx: Context, next: () => Promise<unknown>) => {
    if (!signer.csrfValid(ctx.state.sessionToken, field(ctx, 'csrf'))) throw AdminError.FORBIDDEN()
    await next()
  }

  const actorOf = (ctx: Context): Actor => ctx.state.actor as Actor
  const view = (ctx: Context, template: string, data: Record<string, unknown>) => pages.render(ctx, template, { ...data, ...formHelpers(ctx.state.form as FormState | undefined), actor: actorOf(ctx), csrf: ctx.state.csrf, perms: permissionsOf(actorOf(ctx)) })

  /**
   * A form POST whose refusal for its input shows `redisplay` again (the page holding form
   * `formId`) with the values kept and a message beside each field, in the page's language.
   */
  const submit = (formId: string, redisplay: (ctx: Context) => Promise<void> | void, handler: (ctx: Context) => Promise<void>) =>
    async (ctx: Context) => {
      try {
        await handler(ctx)
      } catch (err) {
        if (!isFormError(err)) throw err
        const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {}
        ctx.state.form = formStateOf(formId, body, err, pages.translator(ctx), (f, v) => (f === 'q' ? maskQuery(v) : v))
        await redisplay(ctx)
        ctx.status = err.status
      }
    }
  const clientsPage = async (ctx: Context) => view(ctx, 'clients', { clients: await admin.listClients(actorOf(ctx)), division: '' })
  const clientPage = async (ctx: Context) => view(ctx, 'client', { client: await admin.getClient(actorOf(ctx), ctx.params.id), health: await admin.clientHealth(actorOf(ctx), ctx.params.id) })
  const personPage = async (ctx: Context) => view(ctx, 'person', { person: await admin.viewPerson(actorOf(ctx), ctx.params.id) })
  const enterprisePage = async (ctx: Context) => view(ctx, 'enterprise', { enterprise: await admin.viewEnterprise(actorOf(ctx), ctx.params.id) })
  const passwordPage = (ctx: Context) => view(ctx, 'password', { policy: PASSWORD_POLICIES.admin, maxAgeDays: config.admin.passwordMaxAgeDays, expired: ctx.state.passwordExpired })
  const permissionsOf = (actor: Actor) => ({
    clients: actor.grants.some((g) => can(deps.scope, actor, 'client.read', g.divisionCode)),
    persons: actor.grants.some((g) => can(deps.scope, actor, 'person.read', g.divisionCode)),
    admins: actor.grants.some((g) => can(deps.scope, actor, 'admin.read', g.divisionCode)),
    audit: actor.grants.some((g) => can(deps.scope, actor, 'audit.read', g.divisionCode)),
    dashboard: actor.grants.some((g) => can(deps.scope, actor, 'dashboard.read', g.divisionCode)),
  })

  router.get('/', (ctx) => view(ctx, 'home', { passwordChanged: ctx.query.password === 'changed' }))

  // ------------------------------------------------------------------ the administrator's own password (periodic change)

  router.get('/password', async (ctx) => {
    ctx.state.passwordExpired = await admin.passwordExpired(actorOf(ctx).personId)
    passwordPage(ctx)
  })
  router.post('/password', form, csrf, submit('password', async (ctx) => {
    ctx.state.passwordExpired = await admin.passwordExpired(actorOf(ctx).personId)
    passwordPage(ctx)
  }, async (ctx) => {
    await admin.changeOwnPassword(actorOf(ctx), { current: field(ctx, 'current'), password: field(ctx, 'password'), confirm: field(ctx, 'confirm') })
    ctx.redirect('/admin?password=changed')
  }))

  router.post('/logout', form, csrf, async (ctx) => {
    await admin.signOutConsole(actorOf(ctx), sessionKey(ctx.state.sessionToken))
    ctx.cookies.set(SESSION_COOKIE, '', cookieOptions(ctx, 'strict'))
    ctx.redirect('/admin/signed-out')
  })

  // ------------------------------------------------------------------ service systems

  router.get('/clients', async (ctx) => {
    const q = parseInput(S.ClientListQuery, ctx.query)
    view(ctx, 'clients', { clients: await admin.listClients(actorOf(ctx), q.division), division: q.division ?? '' })
  })
  router.post('/clients', form, csrf, submit('create', clientsPage, async (ctx) => {
    const input = parseInput(S.ClientCreateInput, {
      name: field(ctx, 'name'),
      divisionCode: field(ctx, 'divisionCode'),
      redirectUris: lines(field(ctx, 'redirectUris')),
      postLogoutRedirectUris: optionalLines(field(ctx, 'postLogoutRedirectUris')),
      backchannelLogoutUri: field(ctx, 'backchannelLogoutUri') || undefined,
      allowedScopes: optionalWords(field(ctx, 'allowedScopes')),
    })
    const created = await admin.createClient(actorOf(ctx), input)
    view(ctx, 'secret', { client: created, secret: created.clientSecret })
  }))
  router.get('/clients/:id', async (ctx) => {
    const client = await admin.getClient(actorOf(ctx), ctx.params.id)
    view(ctx, 'client', { client, health: await admin.clientHealth(actorOf(ctx), ctx.params.id) })
  })
  router.post('/clients/:id', form, csrf, submit('edit', clientPage, async (ctx) => {
    const backchannel = field(ctx, 'backchannelLogoutUri')
    const input = parseInput(S.ClientUpdateInput, {
      name: field(ctx, 'name') || undefined,
      redirectUris: lines(field(ctx, 'redirectUris')),
      postLogoutRedirectUris: lines(field(ctx, 'postLogoutRedirectUris')),
      backchannelLogoutUri: backchannel ? backchannel : null,
      allowedScopes: optionalWords(field(ctx, 'allowedScopes')),
    })
    await admin.updateClient(actorOf(ctx), ctx.params.id, input)
    ctx.redirect(`/admin/clients/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/clients/:id/suspend', form, csrf, async (ctx) => {
    await admin.setClientStatus(actorOf(ctx), ctx.params.id, 'suspended')
    ctx.redirect(`/admin/clients/${encodeURIComponent(ctx.params.id)}`)
  })
  router.post('/clients/:id/activate', form, csrf, async (ctx) => {
    await admin.setClientStatus(actorOf(ctx), ctx.params.id, 'active')
    ctx.redirect(`/admin/clients/${encodeURIComponent(ctx.params.id)}`)
  })
  router.post('/clients/:id/rotate-secret', form, csrf, submit('rotate', clientPage, async (ctx) => {
    const rotated = await admin.rotateClientSecret(actorOf(ctx), ctx.params.id)
    view(ctx, 'secret', { client: await admin.getClient(actorOf(ctx), ctx.params.id), secret: rotated.clientSecret })
  }))

  // ------------------------------------------------------------------ persons

  // Search is a POST: an ID number or phone typed here must never travel in a URL.
  router.get('/persons', (ctx) => view(ctx, 'persons', { q: '', persons: null }))
  router.post('/persons', form, csrf, submit('search', (ctx) => view(ctx, 'persons', { q: '', persons: null }), async (ctx) => {
    const { q } = parseInput(S.PersonSearchQuery, { q: field(ctx, 'q') })
    view(ctx, 'persons', { q: maskQuery(q), persons: await admin.searchPersons(actorOf(ctx), q) })
  }))
  router.get('/persons/:id', async (ctx) => {
    view(ctx, 'person', { person: await admin.viewPerson(actorOf(ctx), ctx.params.id) })
  })
  router.post('/persons/:id/disable', form, csrf, submit('status', personPage, async (ctx) => {
    await admin.setPersonDisabled(actorOf(ctx), ctx.params.id, true, parseInput(S.ReasonInput, { reason: field(ctx, 'reason') }).reason)
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/persons/:id/enable', form, csrf, submit('status', personPage, async (ctx) => {
    await admin.setPersonDisabled(actorOf(ctx), ctx.params.id, false, parseInput(S.ReasonInput, { reason: field(ctx, 'reason') }).reason)
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/persons/:id/end-sessions', form, csrf, submit('sessions', personPage, async (ctx) => {
    await admin.endPersonSessions(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, { reason: field(ctx, 'reason') }).reason)
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/persons/:id/unlock', form, csrf, submit('unlock', personPage, async (ctx) => {
    await admin.unlockPerson(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, { reason: field(ctx, 'reason') }).reason)
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/persons/:id/reset-mfa', form, csrf, submit('mfa', personPage, async (ctx) => {
    await admin.resetMfa(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, { reason: field(ctx, 'reason') }).reason)
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/persons/:id/verify', form, csrf, submit('verify', personPage, async (ctx) => {
    const input = parseInput(S.CounterVerificationInput, { evidence: field(ctx, 'evidence'), method: field(ctx, 'method') || undefined })
    await admin.verifyAtCounter(actorOf(ctx), ctx.params.id, input)
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/persons/:id/reveal', form, csrf, submit('reveal', personPage, async (ctx) => {
    const { reason } = parseInput(S.ReasonInput, { reason: field(ctx, 'reason') })
    const person = await admin.viewPerson(actorOf(ctx), ctx.params.id)
    const revealed = await admin.revealIdNumber(actorOf(ctx), ctx.params.id, reason)
    view(ctx, 'person', { person, revealed: revealed.idNumber })
  }))

  // ------------------------------------------------------------------ legal persons

  router.get('/enterprises', (ctx) => view(ctx, 'enterprises', {}))
  router.post('/enterprises', form, csrf, submit('search', (ctx) => view(ctx, 'enterprises', {}), async (ctx) => {
    const { uscc } = parseInput(S.EnterpriseSearchInput, { uscc: field(ctx, 'uscc') })
    const enterprise = await admin.findEnterprise(actorOf(ctx), uscc).catch((err: unknown) => {
      // Not found (or outside the scope, which reads the same) is a message at the field.
      throw (err as { code?: string }).code === 'ADMIN_NOT_FOUND' ? AdminError.NOT_FOUND({ field: 'uscc' }) : err
    })
    ctx.redirect(`/admin/enterprises/${encodeURIComponent(enterprise.id)}`)
  }))
  router.get('/enterprises/:id', async (ctx) => {
    view(ctx, 'enterprise', { enterprise: await admin.viewEnterprise(actorOf(ctx), ctx.params.id) })
  })
  router.post('/enterprises/:id/verify', form, csrf, submit('verify', enterprisePage, async (ctx) => {
    await admin.verifyEnterprise(actorOf(ctx), ctx.params.id, parseInput(S.EnterpriseVerifyInput, { evidence: field(ctx, 'evidence') }))
    ctx.redirect(`/admin/enterprises/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/enterprises/:id/legal-representative', form, csrf, submit('representative', enterprisePage, async (ctx) => {
    await admin.setLegalRepresentative(actorOf(ctx), ctx.params.id, parseInput(S.LegalRepresentativeInput, { login: field(ctx, 'login'), evidence: field(ctx, 'evidence') }))
    ctx.redirect(`/admin/enterprises/${encodeURIComponent(ctx.params.id)}`)
  }))
  router.post('/enterprises/:id/mandates/:mandateId/revoke', form, csrf, (ctx) => submit(`revoke-${ctx.params.mandateId}`, enterprisePage, async () => {
    await admin.revokeMandate(actorOf(ctx), ctx.params.id, ctx.params.mandateId, parseInput(S.ReasonInput, { reason: field(ctx, 'reason') }).reason)
    ctx.redirect(`/admin/enterprises/${encodeURIComponent(ctx.params.id)}`)
  })(ctx))

  // ------------------------------------------------------------------ administrators

  router.get('/admins', async (ctx) => {
    view(ctx, 'admins', { admins: await admin.listAdmins(actorOf(ctx)) })
  })
  router.post('/admins', form, csrf, submit('grant', async (ctx) => view(ctx, 'admins', { admins: await admin.listAdmins(actorOf(ctx)) }), async (ctx) => {
    const input = parseInput(S.AdminGrantInput, { login: field(ctx, 'login'), role: field(ctx, 'role'), divisionCode: field(ctx, 'divisionCode') })
    await admin.addAdmin(actorOf(ctx), input)
    ctx.redirect('/admin/admins')
  }))

  // ------------------------------------------------------------------ audit (auditors) and dashboard

  router.get('/audit', async (ctx) => {
    const q = parseInput(S.AuditQueryInput, ctx.query)
    const prefixes = await admin.auditPrefixes(actorOf(ctx))
    const records = await deps.audit.query({ divisionPrefixes: prefixes, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) + 86_400_000 : undefined, type: q.type, targetId: q.target, limit: q.limit })
    const csvQuery = new URLSearchParams(Object.entries({ from: q.from, to: q.to, type: q.type, format: 'csv' }).filter(([, v]) => v) as [string, string][])
    view(ctx, 'audit', { records: records.map((r) => ({ ...r, atText: new Date(r.at).toISOString().replace('T', ' ').slice(0, 19) })), q, csvQuery: csvQuery.toString() })
  })
  router.get('/audit.csv', async (ctx) => {
    const q = parseInput(S.AuditQueryInput, ctx.query)
    const actor = actorOf(ctx)
    const prefixes = await admin.auditPrefixes(actor)
    const chunks: string[] = []
    const count = await deps.audit.exportCsv({ divisionPrefixes: prefixes, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) + 86_400_000 : undefined, type: q.type }, (c) => void chunks.push(c))
    await deps.audit.record({ type: 'audit.trail.exported', actor: { type: 'admin', id: actor.personId, ip: actor.ip }, details: { count, from: q.from, to: q.to, type: q.type } })
    ctx.type = 'text/csv; charset=utf-8'
    ctx.set('content-disposition', 'attachment; filename="onedoor-audit.csv"')
    ctx.body = `\uFEFF${chunks.join('')}`
  })

  router.get('/dashboard', async (ctx) => {
    const actor = actorOf(ctx)
    const grant = actor.grants.find((g) => can(deps.scope, actor, 'dashboard.read', g.divisionCode))
    if (!grant) throw AdminError.FORBIDDEN()
    view(ctx, 'dashboard', { charts: await deps.dashboard.charts(grant.divisionCode, pages.translator(ctx)), division: grant.divisionCode })
  })

  return router
}

function lines(value: string): string[] {
  return value.split(/\r?\n/).map((s) => s.trim()).filter(Boolean)
}

function optionalLines(value: string): string[] | undefined {
  const out = lines(value)
  return out.length > 0 ? out : undefined
}

function optionalWords(value: string): string[] | undefined {
  const out = value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean)
  return out.length > 0 ? out : undefined
}

/** Echo a search term back masked: a typed ID number or phone never lands in the page in clear. */
function maskQuery(q: string): string {
  if (/^\d{17}[\dXx]$/.test(q)) return `${q.slice(0, 4)}**********${q.slice(-4)}`
  if (/^1\d{10}$/.test(q)) return `${q.slice(0, 3)}****${q.slice(-4)}`
  return q
}
