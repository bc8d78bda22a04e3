/*
 * The account centre (/account) for residents: profile, security (password, sessions across
 * portals, sign out everywhere), authorisations (what each portal received; revoke), personal
 * information (download, close the account). Every page needs an account-centre session, which
 * stays valid only while the OneDoor session it came from lives. Every POST carries the
 * session's CSRF token on top of the SameSite=Lax cookie.
 * Extensions (TOTP enrolment, mandates: identity-B) mount their own routes on this router.
 */
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { Context } from 'koa'
import { formFields as readFormFields } from '../http/form.js'
import { PASSWORD_POLICIES, type Person, type Persons, type SelfService } from '../accounts/index.js'
import type { Renderer } from '../http/render.js'
import type { AppError } from '../shared/errors.js'
import type { GrantRecord, SessionRecord } from '../store/account-sessions.js'
import type { ConsentRecord } from '../store/consents.js'
import { ACCOUNT_CENTRE_CLIENT_ID } from './first-party-client.js'
import type { AccountSession, createSignIn } from './sign-in.js'
import { safeReturnTo, SESSION_COOKIE } from './sign-in.js'
import type { CookieCodec } from './session-cookie.js'
import { isCutOff } from '../shared/sessions-cutoff.js'

export interface AccountCentreDeps {
  persons: Persons
  selfService: SelfService
  renderer: Renderer
  cookies: CookieCodec
  signIn: ReturnType<typeof createSignIn>
  sessions: {
    listSessions(accountId: string): Promise<SessionRecord[]>
    listGrants(accountId: string): Promise<GrantRecord[]>
    revokeGrant(accountId: string, grantId: string): Promise<boolean>
    listConsentsWithoutGrant(accountId: string, grants: GrantRecord[]): Promise<ConsentRecord[]>
    forgetConsent(accountId: string, clientId: string): Promise<boolean>
  }
  /** Ends every session and grant of the person (sign out everywhere, closure). */
  endEverything(personId: string): Promise<{ sessionsEnded: number; grantsRevoked: number }>
  /** Ends one of the person's sessions by its public uid (with back-channel logout); false if not theirs. */
  endSession?: (personId: string, uid: string) => Promise<boolean>
  clientName(clientId: string): Promise<string>
  onEvent?: (event: { type: string; accountId: string; ip: string; details?: Record<string, unknown> }) => void
}

/** A page another module adds to the account centre's navigation. */
export interface AccountNavItem {
  href: string
  /** i18n key of the link text. */
  labelKey: string
}

/** What an extension receives: the router (prefix /account) and the helpers its pages need. */
export interface AccountExtensionContext {
  router: Router
  requireAccountSession: (ctx: Context) => Promise<AccountSession | undefined>
  /** Renders `template` inside the account centre layout (navigation included). */
  renderAccountPage: (ctx: Context, template: string, data: Record<string, unknown>) => void
  /** Checks the POST's CSRF field against the session; renders 403 and returns false when it fails. */
  checkCsrf: (ctx: Context, session: AccountSession) => boolean
}

export interface AccountExtension {
  nav?: AccountNavItem[]
  mount(context: AccountExtensionContext): void
}

const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' })

export function accountCentreRoutes(deps: AccountCentreDeps, extensions: AccountExtension[] = []): Router {
  const router = new Router({ prefix: '/account' })
  const nav: AccountNavItem[] = [
    { href: '/account', labelKey: 'account.nav.profile' },
    { href: '/account/security', labelKey: 'account.nav.security' },
    { href: '/account/authorisations', labelKey: 'account.nav.authorisations' },
    { href: '/account/data', labelKey: 'account.nav.data' },
    ...extensions.flatMap((e) => e.nav ?? []),
  ]

  router.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    // What require-session.ts's exported helper calls, for routes that extensions mount here.
    ctx.state.accountCentre = { requireAccountSession }
    await next()
  })

  router.get('/login', async (ctx) => {
    deps.signIn.startSignIn(ctx, safeReturnTo(typeof ctx.query.return === 'string' ? ctx.query.return : undefined))
  })

  router.get('/callback', async (ctx) => {
    const result = await deps.signIn.finishSignIn(ctx)
    if (!result.ok) return renderMessage(ctx, 400, 'account.signInFailed', result.error === 'access_denied' ? 'account.signInCancelled' : 'account.signInInvalid')
    deps.onEvent?.({ type: 'account.session.started', accountId: result.session.personId, ip: ctx.ip })
    ctx.redirect(result.returnTo)
  })

  router.get('/signed-out', async (ctx) => renderMessage(ctx, 200, 'account.signedOutTitle', 'account.signedOut'))

  router.get('/', async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session) return
    const person = await deps.persons.findPerson(session.personId)
    renderAccountPage(ctx, 'account/profile', { person })
  })

  router.get('/security', async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session) return
    await renderSecurity(ctx, session, {})
  })

  router.post('/security/password', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session)) return
    const fields = formFields(ctx, ['current', 'password', 'endOthers'])
    const result = await deps.selfService.changePassword(session.personId, fields.current, fields.password)
    if (result.problems.length > 0) return renderSecurity(ctx, session, { problems: result.problems })
    // ASVS 3.3.3: after a password change, the person may end every other session, at every portal too.
    const othersEnded = fields.endOthers === 'yes' ? await endOtherSessions(session) : 0
    deps.onEvent?.({ type: 'account.password.changed', accountId: session.personId, ip: ctx.ip, ...(othersEnded > 0 ? { details: { otherSessionsEnded: othersEnded } } : {}) })
    await renderSecurity(ctx, session, othersEnded > 0 ? { notice: 'account.security.passwordChangedOthersEnded', noticeValues: { count: othersEnded } } : { notice: 'account.security.passwordChanged' })
  })

  router.post('/sessions/end-all', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session)) return
    const ended = await deps.endEverything(session.personId)
    deps.onEvent?.({ type: 'account.sessions.ended_everywhere', accountId: session.personId, ip: ctx.ip, details: ended })
    deps.cookies.clear(ctx, SESSION_COOKIE)
    renderMessage(ctx, 200, 'account.security.endedTitle', 'account.security.ended', { count: ended.sessionsEnded })
  })

  router.post('/sessions/end', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session) || !deps.endSession) return
    const { uid } = formFields(ctx, ['uid'])
    const ended = uid ? await deps.endSession(session.personId, uid) : false
    if (!ended) return renderSecurity(ctx, session, { problems: [{ code: 'ACCOUNT_SESSION_NOT_FOUND', status: 404 } as AppError] })
    deps.onEvent?.({ type: 'account.session.ended', accountId: session.personId, ip: ctx.ip })
    // Ending the session this page runs in signs the person out of the account centre too.
    if (!(await stillSignedIn(session))) {
      deps.cookies.clear(ctx, SESSION_COOKIE)
      return renderMessage(ctx, 200, 'account.signedOutTitle', 'account.signedOut')
    }
    await renderSecurity(ctx, session, { notice: 'account.security.sessionEnded' })
  })

  router.get('/authorisations', async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session) return
    await renderAuthorisations(ctx, session, {})
  })

  router.post('/authorisations/revoke', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session)) return
    const { grantId } = formFields(ctx, ['grantId'])
    const revoked = grantId ? await deps.sessions.revokeGrant(session.personId, grantId) : false
    if (revoked) deps.onEvent?.({ type: 'account.grant.revoked', accountId: session.personId, ip: ctx.ip })
    await renderAuthorisations(ctx, session, revoked ? { notice: 'account.authorisations.revoked' } : { problem: 'account.authorisations.notFound', status: 404 })
  })

  // Remembered consents are listed for portals that hold no live grant; forgetting one also revokes
  // any grant made from it meanwhile, and the portal asks again at the next sign-in.
  router.post('/authorisations/forget', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session)) return
    const { clientId } = formFields(ctx, ['clientId'])
    const forgotten = clientId ? await deps.sessions.forgetConsent(session.personId, clientId) : false
    if (forgotten) deps.onEvent?.({ type: 'account.consent.forgotten', accountId: session.personId, ip: ctx.ip, details: { clientId } })
    await renderAuthorisations(ctx, session, forgotten ? { notice: 'account.authorisations.forgotten' } : { problem: 'account.authorisations.notFound', status: 404 })
  })

  router.get('/data', async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session) return
    renderAccountPage(ctx, 'account/data', {})
  })

  router.get('/data/export', async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session) return
    const data = await deps.selfService.exportData(session.personId)
    deps.onEvent?.({ type: 'account.data.exported', accountId: session.personId, ip: ctx.ip })
    ctx.set('content-disposition', 'attachment; filename="onedoor-my-data.json"')
    ctx.type = 'application/json'
    ctx.body = JSON.stringify(data, null, 2)
  })

  router.post('/close', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session)) return
    const fields = formFields(ctx, ['password', 'confirm'])
    if (fields.confirm !== 'yes') {
      ctx.status = 400
      return renderAccountPage(ctx, 'account/data', { problems: ['ACCOUNT_CLOSE_NOT_CONFIRMED'] })
    }
    const result = await deps.selfService.closeAccount(session.personId, fields.password, ctx.ip)
    if (result.problems.length > 0) {
      ctx.status = 400
      return renderAccountPage(ctx, 'account/data', { problems: result.problems.map((p) => p.code) })
    }
    deps.onEvent?.({ type: 'account.closed', accountId: session.personId, ip: ctx.ip })
    deps.cookies.clear(ctx, SESSION_COOKIE)
    renderMessage(ctx, 200, 'account.closedTitle', 'account.closed')
  })

  router.post('/logout', form, async (ctx) => {
    const session = await requireAccountSession(ctx)
    if (!session || !checkCsrf(ctx, session)) return
    deps.cookies.clear(ctx, SESSION_COOKIE)
    // RP-initiated logout of the OneDoor session too, with OneDoor's own confirmation page.
    ctx.redirect(`/session/end?client_id=${ACCOUNT_CENTRE_CLIENT_ID}`)
  })

  for (const extension of extensions) extension.mount({ router, requireAccountSession, renderAccountPage, checkCsrf })

  return router

  /**
   * The account-centre session, or undefined after redirecting to sign-in. Valid only while the
   * person's account is open and the OneDoor session it came from still exists (ended by
   * sign-out, "sign out everywhere", expiry or an administrator).
   */
  async function requireAccountSession(ctx: Context): Promise<AccountSession | undefined> {
    const session = deps.cookies.read<AccountSession>(ctx, SESSION_COOKIE)
    if (session && typeof session.personId === 'string' && /^[0-9a-z]+$/.test(session.personId)) {
      const person = await stillSignedIn(session)
      if (person) {
        ctx.state.accountSession = session
        ctx.state.accountPerson = person
        return session
      }
    }
    deps.cookies.clear(ctx, SESSION_COOKIE)
    if (ctx.method === 'GET') {
      ctx.redirect(`/account/login?return=${encodeURIComponent(safeReturnTo(ctx.path))}`)
    } else {
      renderMessage(ctx, 401, 'account.sessionEndedTitle', 'account.sessionEnded')
    }
    return undefined
  }

  /** Ends every session of the person but the one this account-centre session came from (portals are told); how many. */
  async function endOtherSessions(session: AccountSession): Promise<number> {
    if (!deps.endSession) return 0
    const others = (await deps.sessions.listSessions(session.personId)).filter((s) => !isThisSession(s, session))
    let ended = 0
    for (const other of others) if (await deps.endSession(session.personId, other.uid)) ended += 1
    return ended
  }

  /** The OneDoor session an account-centre session came from: the account centre's sign-in at the same time. */
  function isThisSession(s: SessionRecord, session: AccountSession): boolean {
    return s.loginTs === session.loginTs && ACCOUNT_CENTRE_CLIENT_ID in s.authorizations
  }

  /** The person, while the OneDoor session this account-centre session came from lives; else undefined. */
  async function stillSignedIn(session: AccountSession): Promise<Person | undefined> {
    const person = await deps.persons.findPerson(session.personId)
    if (!person || isCutOff(person.sessionsNotBefore, session.loginTs)) return undefined
    return (await deps.sessions.listSessions(session.personId)).some((s) => isThisSession(s, session)) ? person : undefined
  }

  function checkCsrf(ctx: Context, session: AccountSession): boolean {
    const { csrf } = formFields(ctx, ['csrf'])
    if (csrf && csrf === session.csrf) return true
    renderMessage(ctx, 403, 'account.csrfTitle', 'account.csrf')
    return false
  }

  function renderAccountPage(ctx: Context, template: string, data: Record<string, unknown>): void {
    const locale = deps.renderer.localeFor(ctx)
    const t = deps.renderer.translator(locale)
    const session = ctx.state.accountSession as AccountSession | undefined
    deps.renderer.render(ctx, 'account/page', {
      locale,
      title: t('account.title'),
      nav,
      current: ctx.path.replace(/\/$/, '') || '/account',
      csrf: session?.csrf ?? '',
      page: template,
      data: { ...data, csrf: session?.csrf ?? '' },
    })
  }

  function renderMessage(ctx: Context, status: number, titleKey: string, bodyKey: string, values: Record<string, unknown> = {}): void {
    const locale = deps.renderer.localeFor(ctx)
    const t = deps.renderer.translator(locale)
    deps.renderer.render(ctx, 'account/message', { locale, title: t(titleKey), heading: titleKey, body: bodyKey, values })
    ctx.status = status
  }

  async function renderSecurity(ctx: Context, session: AccountSession, extra: { problems?: AppError[]; notice?: string; noticeValues?: Record<string, unknown> }) {
    const person = ctx.state.accountPerson as Person | undefined
    // Not one a sign-out everywhere cut that a request in flight wrote back.
    const sessions = (await deps.sessions.listSessions(session.personId)).filter((s) => !isCutOff(person?.sessionsNotBefore, s.loginTs))
    const rows = await Promise.all(
      sessions.map(async (s) => ({
        uid: s.uid,
        current: isThisSession(s, session),
        loginAt: s.loginTs ? new Date(s.loginTs * 1000).toISOString() : '',
        expiresAt: s.expiresAt ? new Date(s.expiresAt).toISOString() : '',
        amr: s.amr,
        portals: await Promise.all(Object.keys(s.authorizations).filter((id) => id !== ACCOUNT_CENTRE_CLIENT_ID).map((id) => deps.clientName(id))),
      })),
    )
    if (extra.problems?.length) ctx.status = Math.max(...extra.problems.map((p) => p.status))
    renderAccountPage(ctx, 'account/security', { canEndOne: Boolean(deps.endSession), sessions: rows, problems: (extra.problems ?? []).map((p) => p.code), notice: extra.notice, noticeValues: extra.noticeValues, policy: PASSWORD_POLICIES.person })
  }

  async function renderAuthorisations(ctx: Context, session: AccountSession, extra: { notice?: string; problem?: string; status?: number }) {
    const grants = (await deps.sessions.listGrants(session.personId)).filter((g) => g.clientId !== ACCOUNT_CENTRE_CLIENT_ID)
    const rows = await Promise.all(
      grants.map(async (g) => ({
        id: g.id,
        clientName: await deps.clientName(g.clientId),
        scopes: g.scope.split(' ').filter((s) => s && s !== 'openid'),
        claims: g.claims,
        issuedAt: g.issuedAt ? new Date(g.issuedAt * 1000).toISOString() : '',
      })),
    )
    const consents = (await deps.sessions.listConsentsWithoutGrant(session.personId, grants)).filter((c) => c.clientId !== ACCOUNT_CENTRE_CLIENT_ID)
    const remembered = await Promise.all(
      consents.map(async (c) => ({
        clientId: c.clientId,
        clientName: await deps.clientName(c.clientId),
        scopes: c.scopes.filter((s) => s !== 'openid'),
        claims: c.claims,
        grantedAt: new Date(c.grantedAt).toISOString(),
      })),
    )
    if (extra.status) ctx.status = extra.status
    renderAccountPage(ctx, 'account/authorisations', { grants: rows, remembered, notice: extra.notice, problem: extra.problem })
  }
}

function formFields<const K extends string>(ctx: Context, names: readonly K[]): Record<K, string> {
  return readFormFields(ctx, names, 512)
}
