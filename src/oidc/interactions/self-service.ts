/*
 * Self-service pages inside a sign-in (issue 3): registration, 短信验证码登录 (phone + SMS
 * code) and password reset by SMS. Each page lives under /interaction/:uid/… so it belongs to
 * the pending authorization request and its interaction cookie (SameSite=Lax): a cross-site
 * form cannot drive it, and finishing returns the person to the portal that asked. The pages
 * work without JavaScript: one form, with a "send code" button and a "submit" button.
 */
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { Context } from 'koa'
import { formFields as readFormFields } from '../../http/form.js'
import type Provider from 'oidc-provider'
import { DOCUMENT_TYPES, type Persons, type SelfService } from '../../accounts/index.js'
import type { Renderer } from '../../http/render.js'
import type { AppError } from '../../shared/errors.js'
import { interactionGuard, type PortalOf } from './expired.js'
import { finishInteraction } from './finish.js'

export interface SelfServiceRouteDeps {
  provider: () => Provider
  persons: Persons
  selfService: SelfService
  renderer: Renderer
  onLogin?: (event: { accountId: string; clientId: string; ip: string; method: 'sms' }) => void
  onRegistered?: (event: { accountId: string; clientId: string; ip: string }) => void
  /** The portal to offer on the "sign-in expired" page (else the home page). */
  portalOf?: PortalOf
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>
type Problem = Pick<AppError, 'code' | 'status'>

const REGISTER_FIELDS = ['action', 'name', 'documentType', 'documentCountry', 'idNumber', 'phone', 'smsCode', 'password', 'privacy'] as const

export function selfServiceRoutes(deps: SelfServiceRouteDeps): Router {
  const router = new Router({ prefix: '/interaction' })
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' })

  router.use(interactionGuard(deps.renderer, deps.portalOf))

  // ---- registration ----
  router.get('/:uid/register', async (ctx) => {
    const details = await loginDetails(ctx)
    if (!details) return
    await renderRegister(ctx, details, {})
  })

  router.post('/:uid/register', form, async (ctx) => {
    const details = await loginDetails(ctx)
    if (!details) return
    const fields = formFields(ctx, REGISTER_FIELDS)
    if (fields.action === 'send_code') {
      const problem = await sendCode(ctx, fields.phone, 'register')
      return renderRegister(ctx, details, { fields, problems: problem ? [problem] : [], notice: problem ? undefined : 'identity.sms.sent' })
    }
    const result = await deps.selfService.register({
      name: fields.name,
      documentType: fields.documentType || 'resident_id',
      documentCountry: fields.documentCountry,
      idNumber: fields.idNumber,
      phone: fields.phone,
      password: fields.password,
      smsCode: fields.smsCode,
      privacyAccepted: fields.privacy === 'yes',
    })
    if (!result.person) return renderRegister(ctx, details, { fields, problems: result.problems })
    deps.onRegistered?.({ accountId: result.person.id, clientId: String(details.params.client_id), ip: ctx.ip })
    // Back to the sign-in, with the new phone number filled in.
    await renderLoginPage(ctx, details, { notice: 'identity.register.done', identifier: result.person.phone })
  })

  // ---- phone + SMS code sign-in ----
  router.get('/:uid/sms-login', async (ctx) => {
    const details = await loginDetails(ctx)
    if (!details) return
    await renderSimple(ctx, details, 'sms-login', { fields: { phone: typeof details.params.login_hint === 'string' ? details.params.login_hint : '' } })
  })

  router.post('/:uid/sms-login', form, async (ctx) => {
    const details = await loginDetails(ctx)
    if (!details) return
    const fields = formFields(ctx, ['action', 'phone', 'smsCode'])
    if (fields.action === 'send_code') {
      const problem = await sendCode(ctx, fields.phone, 'login')
      return renderSimple(ctx, details, 'sms-login', { fields, problems: problem ? [problem] : [], notice: problem ? undefined : 'identity.sms.sentIfRegistered' })
    }
    let person
    try {
      person = await deps.selfService.signInWithSmsCode(fields.phone, fields.smsCode, { ip: ctx.ip })
    } catch (err) {
      if ((err as AppError).code !== 'ACCOUNT_SIGN_IN_THROTTLED') throw err
      return renderSimple(ctx, details, 'sms-login', { fields, problems: [err as AppError] })
    }
    if (!person) {
      return renderSimple(ctx, details, 'sms-login', { fields, problems: [{ code: 'ACCOUNT_SMS_CODE_INVALID', status: 401 }] })
    }
    deps.onLogin?.({ accountId: person.id, clientId: String(details.params.client_id), ip: ctx.ip, method: 'sms' })
    // RFC 8176 amr "sms": confirmation by a code sent to a registered phone.
    await finishInteraction(ctx, details, { login: { accountId: person.id, amr: ['sms'] } }, { mergeWithLastSubmission: false })
  })

  // ---- password reset by SMS code ----
  router.get('/:uid/reset', async (ctx) => {
    const details = await loginDetails(ctx)
    if (!details) return
    await renderSimple(ctx, details, 'reset-password', { fields: {} })
  })

  router.post('/:uid/reset', form, async (ctx) => {
    const details = await loginDetails(ctx)
    if (!details) return
    const fields = formFields(ctx, ['action', 'phone', 'smsCode', 'password'])
    if (fields.action === 'send_code') {
      const problem = await sendCode(ctx, fields.phone, 'reset')
      return renderSimple(ctx, details, 'reset-password', { fields: { phone: fields.phone }, problems: problem ? [problem] : [], notice: problem ? undefined : 'identity.sms.sentIfRegistered' })
    }
    const result = await deps.selfService.resetPassword(fields.phone, fields.smsCode, fields.password, { ip: ctx.ip })
    if (result.problems.length > 0) return renderSimple(ctx, details, 'reset-password', { fields: { phone: fields.phone }, problems: result.problems })
    await renderLoginPage(ctx, details, { notice: 'identity.reset.done', identifier: fields.phone })
  })

  return router

  /** The interaction, if it is at the login prompt; otherwise the normal interaction page. */
  async function loginDetails(ctx: Context): Promise<Details | undefined> {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res)
    if (details.prompt.name === 'login' && details.uid === ctx.params.uid) return details
    ctx.redirect(`/interaction/${details.uid}`)
    return undefined
  }

  /** Sends an SMS code; returns the problem to show, if any. */
  async function sendCode(ctx: Context, phone: string, purpose: 'register' | 'login' | 'reset'): Promise<Problem | undefined> {
    try {
      await deps.selfService.sendCode(phone, purpose, ctx.ip)
      return undefined
    } catch (err) {
      const appError = err as AppError
      if (typeof appError.code === 'string' && typeof appError.status === 'number' && appError.status < 600) return appError
      throw err
    }
  }

  async function common(ctx: Context, details: Details) {
    const locale = deps.renderer.localeFor(ctx, typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined)
    const client = await deps.provider().Client.find(String(details.params.client_id))
    return { locale, t: deps.renderer.translator(locale), uid: details.uid, clientName: client?.clientName ?? client?.clientId }
  }

  async function renderRegister(ctx: Context, details: Details, extra: { fields?: Partial<Record<(typeof REGISTER_FIELDS)[number], string>>; problems?: Problem[]; notice?: string }) {
    const base = await common(ctx, details)
    const problems = extra.problems ?? []
    ctx.status = statusOf(problems)
    const { password: _password, smsCode: _code, ...kept } = extra.fields ?? {}
    deps.renderer.render(ctx, 'register', {
      ...base,
      title: base.t('identity.register.title'),
      fields: { documentType: 'resident_id', ...kept },
      documentTypes: DOCUMENT_TYPES,
      problems: problems.map((p) => p.code),
      notice: extra.notice,
      policy: deps.persons.passwordPolicy,
    })
  }

  async function renderSimple(ctx: Context, details: Details, template: 'sms-login' | 'reset-password', extra: { fields: Record<string, string>; problems?: Problem[]; notice?: string }) {
    const base = await common(ctx, details)
    const problems = extra.problems ?? []
    ctx.status = statusOf(problems)
    deps.renderer.render(ctx, template, {
      ...base,
      title: base.t(template === 'sms-login' ? 'identity.smsLogin.title' : 'identity.reset.title'),
      fields: { phone: extra.fields.phone ?? '' },
      problems: problems.map((p) => p.code),
      notice: extra.notice,
      policy: deps.persons.passwordPolicy,
    })
  }

  /** The ordinary login page (views/login.eta), with a notice such as "registered, now sign in". */
  async function renderLoginPage(ctx: Context, details: Details, extra: { notice: string; identifier: string }) {
    const base = await common(ctx, details)
    ctx.status = 200
    deps.renderer.render(ctx, 'login', { ...base, title: base.t('login.title'), identifier: extra.identifier, notice: extra.notice })
  }
}

function statusOf(problems: Problem[]): number {
  if (problems.length === 0) return 200
  return Math.max(...problems.map((p) => p.status))
}

function formFields<const K extends string>(ctx: Context, names: readonly K[]): Record<K, string> {
  return readFormFields(ctx, names, 512)
}
