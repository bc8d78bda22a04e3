/*
 * Pages of the "identity" and "assurance" prompts (src/oidc/policy.ts): choose whom you act for;
 * TOTP step-up (or enrolment, with recovery codes shown once); and, when the identity itself is
 * below the requested real-name level, a page that explains how to raise it. Each POST is bound to
 * its interaction by the interaction cookie, like the login page.
 */
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { Context } from 'koa'
import { formField } from '../../http/form.js'
import type Provider from 'oidc-provider'
import type { AcrMap, Assurance, Mandates, Persons } from '../../accounts/index.js'
import type { Renderer } from '../../http/render.js'
import type { Enrolment, Verification } from '../../mfa/index.js'
import { isAppError } from '../../shared/errors.js'
import type { ActingGrants } from '../acting.js'
import { ASSURANCE_PROMPT, IDENTITY_PROMPT } from '../policy.js'
import { finishInteraction, saveInteractionResult } from './finish.js'

export interface AssurancePagesDeps {
  provider: () => Provider
  renderer: Renderer
  persons: Pick<Persons, 'findPerson'>
  acr: AcrMap
  assurance: Pick<Assurance, 'verifyOnline' | 'identityLevel'>
  mandates: Pick<Mandates, 'actingOptions'>
  acting: Pick<ActingGrants, 'grantFor'>
  enrolment: Enrolment
  verification: Verification
  /** Identity and step-up events (mfa.*, stepup.requested|succeeded|failed) for the log and the audit trail. */
  onEvent?: (event: { type: string; accountId: string; clientId: string; details?: Record<string, unknown> }) => void
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>

interface AssuranceDetails {
  requiredLevel: number
  essential: boolean
  identityLevel: number
  sessionLevel: number
}

/** Renders the page for our prompts; routes.ts dispatches GET /interaction/:uid here. */
export function createAssurancePages(deps: AssurancePagesDeps) {
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' })

  return { prompts: { [IDENTITY_PROMPT]: renderIdentity, [ASSURANCE_PROMPT]: renderAssurance }, routes }

  /** POST routes under /interaction/:uid; mounted on the interaction router (its error handling applies). */
  function routes(router: Router): void {
    router.post('/:uid/act', form, async (ctx) => {
      const details = await current(ctx, IDENTITY_PROMPT)
      if (!details) return
      const personId = details.session!.accountId
      const clientId = String(details.params.client_id)
      const subject = field(ctx, 'subject')
      let enterpriseId: string | null = null
      if (subject !== 'self') {
        const options = await deps.mandates.actingOptions(personId, clientId)
        const option = options.find((o) => o.enterprise.id === subject)
        if (!option) {
          ctx.status = 400
          return renderIdentity(ctx, details, 'acting.invalid')
        }
        enterpriseId = option.enterprise.id
      }
      const grantId = await deps.acting.grantFor(deps.provider(), personId, clientId, enterpriseId)
      deps.onEvent?.({ type: enterpriseId ? 'acting.enterprise.chosen' : 'acting.self.chosen', accountId: personId, clientId })
      await finishInteraction(ctx, details, { [IDENTITY_PROMPT]: { subject: enterpriseId ?? 'self' }, consent: { grantId } }, { mergeWithLastSubmission: true })
    })

    router.post('/:uid/totp', form, async (ctx) => {
      const details = await current(ctx, ASSURANCE_PROMPT)
      if (!details) return
      const personId = details.session!.accountId
      try {
        const method = await deps.verification.verifyForLogin(personId, field(ctx, 'code'), details.cid)
        deps.onEvent?.({ type: method === 'totp' ? 'mfa.totp.verified' : 'mfa.recovery_code.used', accountId: personId, clientId: String(details.params.client_id) })
        stepUpEvent('stepup.succeeded', details, { method })
        await finishStepUp(ctx, details, method === 'totp' ? ['otp', 'mfa'] : ['mfa'])
      } catch (err) {
        if (!isAppError(err)) throw err
        deps.onEvent?.({ type: 'mfa.totp.verification_failed', accountId: personId, clientId: String(details.params.client_id) })
        stepUpEvent('stepup.failed', details, { method: 'totp', errorCode: err.code })
        if (err.code === 'MFA_TOO_MANY_ATTEMPTS') return renderRestart(ctx, details)
        ctx.status = err.status
        return renderVerify(ctx, details, { error: `mfa.errors.${err.code}`, attemptsLeft: await deps.verification.attemptsLeft(personId, details.cid) })
      }
    })

    router.post('/:uid/totp-enrol', form, async (ctx) => {
      const details = await current(ctx, ASSURANCE_PROMPT)
      if (!details) return
      const personId = details.session!.accountId
      if (await deps.enrolment.isEnrolled(personId)) return renderAssurance(ctx, details)
      try {
        const codes = await deps.enrolment.confirm(personId, field(ctx, 'enrolment'), details.uid, field(ctx, 'code'))
        deps.onEvent?.({ type: 'mfa.totp.enrolled', accountId: personId, clientId: String(details.params.client_id) })
        stepUpEvent('stepup.succeeded', details, { method: 'totp_enrolment' })
        // The confirming code proves possession: the step-up is done. The result is stored now and
        // the person continues (GET returnTo) after reading the recovery codes, shown only here.
        const returnTo = await saveInteractionResult(details, stepUpResult(details, ['otp', 'mfa']), { mergeWithLastSubmission: true })
        const locale = localeOf(ctx, details)
        deps.renderer.render(ctx, 'mfa-recovery-codes', { locale, title: t(locale, 'mfa.recovery.title'), codes, continueUrl: returnTo })
      } catch (err) {
        if (!isAppError(err)) throw err
        ctx.status = err.status
        return renderEnrol(ctx, details, `mfa.errors.${err.code}`, field(ctx, 'enrolment'))
      }
    })

    router.post('/:uid/assurance-continue', form, async (ctx) => {
      const details = await current(ctx, ASSURANCE_PROMPT)
      if (!details) return
      const info = details.prompt.details as unknown as AssuranceDetails
      if (info.essential || info.identityLevel >= Math.min(info.requiredLevel, 2)) return renderAssurance(ctx, details)
      await finishInteraction(ctx, details, { [ASSURANCE_PROMPT]: { acceptLower: true } }, { mergeWithLastSubmission: true })
    })

    router.post('/:uid/verify-online', form, async (ctx) => {
      const details = await current(ctx, ASSURANCE_PROMPT)
      if (!details) return
      try {
        await deps.assurance.verifyOnline(details.session!.accountId)
      } catch (err) {
        if (!isAppError(err)) throw err
        ctx.status = err.status
        return renderRaise(ctx, details, `assurance.errors.${err.code}`)
      }
      // The policy runs again on resume: with level 2 reached, it may now ask for TOTP.
      await finishInteraction(ctx, details, { [ASSURANCE_PROMPT]: { verified: true } }, { mergeWithLastSubmission: true })
    })
  }

  /** The interaction, if it is at `prompt` with a signed-in person; otherwise renders what is current and returns undefined. */
  async function current(ctx: Context, prompt: string): Promise<Details | undefined> {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res)
    if (details.prompt.name === prompt && details.session?.accountId) return details
    ctx.status = 400
    const locale = localeOf(ctx, details)
    deps.renderer.render(ctx, 'error', { locale, title: t(locale, 'error.title'), error: 'invalid_request', description: t(locale, 'error.codes.invalid_request') })
    return undefined
  }

  async function finishStepUp(ctx: Context, details: Details, methods: string[]): Promise<void> {
    await finishInteraction(ctx, details, stepUpResult(details, methods), { mergeWithLastSubmission: true })
  }

  /** A fresh authentication event: the earlier methods plus the second factor, at level 3, now (auth_time). */
  function stepUpResult(details: Details, methods: string[]) {
    const amr = [...new Set([...(details.session?.amr ?? []), ...methods])]
    return { login: { accountId: details.session!.accountId, amr, acr: deps.acr.acrForLevel(3) }, [ASSURANCE_PROMPT]: { stepUp: true } }
  }

  async function renderIdentity(ctx: Context, details: Details, error?: string): Promise<void> {
    const locale = localeOf(ctx, details)
    const personId = details.session!.accountId
    const [person, options, clientName] = await Promise.all([
      deps.persons.findPerson(personId),
      deps.mandates.actingOptions(personId, String(details.params.client_id)),
      clientNameOf(details),
    ])
    deps.renderer.render(ctx, 'acting-for', {
      locale,
      title: t(locale, 'acting.title'),
      uid: details.uid,
      clientName,
      personName: person?.name ?? '',
      options: options.map((o) => ({ id: o.enterprise.id, name: o.enterprise.name, uscc: o.enterprise.uscc, kind: o.enterprise.kind, role: o.role })),
      error,
    })
  }

  async function renderAssurance(ctx: Context, details: Details): Promise<void> {
    if (details.prompt.reasons.includes('identity_level_insufficient')) return renderRaise(ctx, details)
    if (await deps.verification.attemptsLeft(details.session!.accountId, details.cid) <= 0) return renderRestart(ctx, details)
    const enrolled = await deps.enrolment.isEnrolled(details.session!.accountId)
    // The policy asks for the second factor: the step-up is requested (shown again on a reload).
    stepUpEvent('stepup.requested', details, { method: enrolled ? 'totp' : 'totp_enrolment' })
    if (enrolled) return renderVerify(ctx, details, {})
    return renderEnrol(ctx, details)
  }

  /** A step-up event with the levels involved (audited as auth.stepup.*; never the code itself). */
  function stepUpEvent(type: 'stepup.requested' | 'stepup.succeeded' | 'stepup.failed', details: Details, extra: Record<string, unknown>): void {
    const info = details.prompt.details as unknown as Partial<AssuranceDetails>
    deps.onEvent?.({ type, accountId: details.session!.accountId, clientId: String(details.params.client_id), details: { requiredLevel: info.requiredLevel ?? null, sessionLevel: info.sessionLevel ?? null, ...extra } })
  }

  async function renderVerify(ctx: Context, details: Details, extra: { error?: string; attemptsLeft?: number }): Promise<void> {
    const locale = localeOf(ctx, details)
    deps.renderer.render(ctx, 'mfa-verify', { locale, title: t(locale, 'mfa.verify.title'), uid: details.uid, clientName: await clientNameOf(details), ...extra })
  }

  async function renderEnrol(ctx: Context, details: Details, error?: string, sealed?: string): Promise<void> {
    const locale = localeOf(ctx, details)
    const person = await deps.persons.findPerson(details.session!.accountId)
    const label = person ? `${person.phone.slice(0, 3)}****${person.phone.slice(-4)}` : 'OneDoor'
    const personId = details.session!.accountId
    const pending = (sealed ? await deps.enrolment.resume(personId, sealed, details.uid, label) : undefined) ?? (await deps.enrolment.start(personId, label, details.uid))
    deps.renderer.render(ctx, 'mfa-enrol', { locale, title: t(locale, 'mfa.enrol.title'), uid: details.uid, clientName: await clientNameOf(details), qrSvg: pending.qrSvg, manualKey: pending.manualKey, enrolment: pending.sealed, error })
  }

  async function renderRaise(ctx: Context, details: Details, error?: string): Promise<void> {
    const locale = localeOf(ctx, details)
    const info = details.prompt.details as unknown as AssuranceDetails
    const person = await deps.persons.findPerson(details.session!.accountId)
    deps.renderer.render(ctx, 'assurance-raise', {
      locale,
      title: t(locale, 'assurance.raise.title'),
      uid: details.uid,
      clientName: await clientNameOf(details),
      requiredLevel: info.requiredLevel,
      identityLevel: info.identityLevel,
      canContinue: !info.essential,
      canVerifyOnline: person?.phoneVerified === true,
      error,
    })
  }

  function renderRestart(ctx: Context, details: Details): void {
    const locale = localeOf(ctx, details)
    ctx.status = 429
    deps.renderer.render(ctx, 'mfa-restart', { locale, title: t(locale, 'mfa.restart.title'), uid: details.uid })
  }

  async function clientNameOf(details: Details): Promise<string> {
    const client = await deps.provider().Client.find(String(details.params.client_id))
    return client?.clientName ?? client?.clientId ?? ''
  }

  function localeOf(ctx: Context, details: Details) {
    return deps.renderer.localeFor(ctx, typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined)
  }

  function t(locale: Parameters<Renderer['translator']>[0], key: string): string {
    return deps.renderer.translator(locale)(key)
  }
}

function field(ctx: Context, name: string): string {
  return formField(ctx, name, 2048)
}
