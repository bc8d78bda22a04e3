/*
 * The sign-in flow's pages: login, then consent (oidc-provider's prompts, in that order).
 * Each POST is bound to its interaction by the interaction cookie (SameSite=Lax), so a
 * cross-site form cannot drive it.
 */
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { Context } from 'koa'
import { formFields } from '../../http/form.js'
import type Provider from 'oidc-provider'
import type { Persons } from '../../accounts/index.js'
import type { Renderer } from '../../http/render.js'
import { errors } from 'oidc-provider'
import { interactionGuard, type PortalOf } from './expired.js'
import { finishInteraction } from './finish.js'

export interface InteractionDeps {
  provider: () => Provider
  persons: Persons
  renderer: Renderer
  onLogin?: (event: { accountId: string; clientId: string; ip: string }) => void
  /** `identifier` is what was typed (may be an ID number): for lockout counting only, never to be logged. */
  onLoginFailed?: (event: { clientId: string; ip: string; reason?: string; identifier?: string }) => void
  /** Pages of further prompts (issue 3: identity, assurance), by prompt name, and their POST routes. */
  prompts?: Record<string, (ctx: Context, details: Details) => Promise<void>>
  extend?: (router: Router) => void
  /** The portal to offer on the "sign-in expired" page (else the home page). */
  portalOf?: PortalOf
  /** Keeps what the person allowed on the consent page for later sessions (src/oidc/existing-grant.ts). */
  rememberConsent?: (personId: string, clientId: string, allowed: { scopes: string[]; claims: string[] }) => Promise<void>
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>

export function interactionRoutes(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' })
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' })

  router.use(interactionGuard(deps.renderer, deps.portalOf))

  router.get('/:uid', async (ctx) => {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res)
    await renderPrompt(ctx, details)
  })

  router.post('/:uid/login', form, async (ctx) => {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res)
    if (details.prompt.name !== 'login') return renderPrompt(ctx, details)
    const { identifier, password } = formFields(ctx, ['identifier', 'password'])
    const clientId = String(details.params.client_id)
    let person
    try {
      person = identifier && password ? await deps.persons.authenticateWithPassword(identifier, password, { ip: ctx.ip }) : undefined
    } catch (err) {
      // Issue 3: too many failures for this identifier or IP; the same answer whether or not the account exists.
      if ((err as { code?: string }).code !== 'ACCOUNT_SIGN_IN_THROTTLED') throw err
      deps.onLoginFailed?.({ clientId, ip: ctx.ip, reason: 'throttled' })
      ctx.status = 429
      return renderLogin(ctx, details, { error: 'identity.errors.ACCOUNT_SIGN_IN_THROTTLED', identifier })
    }
    if (!person) {
      deps.onLoginFailed?.({ clientId, ip: ctx.ip, reason: 'invalid_credentials', identifier })
      ctx.status = 401
      return renderLogin(ctx, details, { error: 'login.invalid', identifier })
    }
    deps.onLogin?.({ accountId: person.id, clientId, ip: ctx.ip })
    await finishInteraction(ctx, details, { login: { accountId: person.id, amr: ['pwd'] } }, { mergeWithLastSubmission: false })
  })

  router.post('/:uid/confirm', form, async (ctx) => {
    const provider = deps.provider()
    const details = await provider.interactionDetails(ctx.req, ctx.res)
    if (details.prompt.name !== 'consent' || !details.session) return renderPrompt(ctx, details)
    const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: String(details.params.client_id) })
    if (!grant) throw new errors.SessionNotFound('grant not found')
    if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '))
    if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '))
    const grantId = await grant.save()
    await deps.rememberConsent?.(details.session.accountId, grant.clientId!, { scopes: grant.getOIDCScope().split(' ').filter(Boolean), claims: grant.getOIDCClaims() })
    await finishInteraction(ctx, details, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true })
  })

  router.post('/:uid/abort', form, async (ctx) => {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res)
    await finishInteraction(ctx, details, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false })
  })

  deps.extend?.(router)
  return router

  async function renderPrompt(ctx: Context, details: Details): Promise<void> {
    const page = deps.prompts?.[details.prompt.name]
    if (page) return page(ctx, details)
    if (details.prompt.name === 'login') return renderLogin(ctx, details, {})
    if (details.prompt.name === 'consent') return renderConsent(ctx, details)
    ctx.status = 400
    const t = deps.renderer.translator(localeOf(ctx, details))
    deps.renderer.render(ctx, 'error', { locale: localeOf(ctx, details), title: t('error.title'), error: 'invalid_request', description: t('error.codes.invalid_request') })
  }

  async function renderLogin(ctx: Context, details: Details, extra: { error?: string; identifier?: string }) {
    const locale = localeOf(ctx, details)
    const client = await deps.provider().Client.find(String(details.params.client_id))
    deps.renderer.render(ctx, 'login', {
      locale,
      title: deps.renderer.translator(locale)('login.title'),
      uid: details.uid,
      clientName: client?.clientName ?? client?.clientId,
      identifier: extra.identifier ?? (typeof details.params.login_hint === 'string' ? details.params.login_hint : ''),
      error: extra.error,
    })
  }

  async function renderConsent(ctx: Context, details: Details) {
    const locale = localeOf(ctx, details)
    const client = await deps.provider().Client.find(String(details.params.client_id))
    const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] }
    deps.renderer.render(ctx, 'consent', {
      locale,
      title: deps.renderer.translator(locale)('consent.title'),
      uid: details.uid,
      clientName: client?.clientName ?? client?.clientId,
      scopes: (promptDetails.missingOIDCScope ?? []).filter((s) => s !== 'openid'),
      claims: promptDetails.missingOIDCClaims ?? [],
    })
  }

  function localeOf(ctx: Context, details: Details) {
    return deps.renderer.localeFor(ctx, typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined)
  }
}
