/*
 * Account-centre page for the authenticator app (/account/totp): set it up (QR code rendered on
 * the server, confirmed by a first code, recovery codes shown once), get new recovery codes, or
 * remove it. Replacing or removing needs a current code, so a borrowed account-centre session
 * cannot take the second factor over.
 */
import { bodyParser } from '@koa/bodyparser'
import type { Context } from 'koa'
import { formFields } from '../http/form.js'
import type { AccountExtension, AccountExtensionContext } from '../account/index.js'
import type { Persons } from '../accounts/index.js'
import type { Enrolment, Verification } from '../mfa/index.js'
import { isAppError } from '../shared/errors.js'

export interface TotpPagesDeps {
  persons: Pick<Persons, 'findPerson'>
  enrolment: Enrolment
  verification: Pick<Verification, 'verifyForLogin'>
  onEvent?: (event: { type: string; accountId: string }) => void
}

const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' })

export function totpExtension(deps: TotpPagesDeps): AccountExtension {
  return {
    nav: [{ href: '/account/totp', labelKey: 'mfa.account.nav' }],
    mount(context) {
      const { router } = context
      router.get('/totp', async (ctx) => {
        const session = await context.requireAccountSession(ctx)
        if (!session) return
        await renderTotp(context, ctx, session.personId, session.csrf, {})
      })

      router.post('/totp/enrol', form, async (ctx) => {
        const session = await context.requireAccountSession(ctx)
        if (!session || !context.checkCsrf(ctx, session)) return
        if (await deps.enrolment.isEnrolled(session.personId)) return renderTotp(context, ctx, session.personId, session.csrf, {})
        const { enrolment, code } = fields(ctx, ['enrolment', 'code'])
        try {
          const codes = await deps.enrolment.confirm(session.personId, enrolment, pendingContext(session.csrf), code)
          deps.onEvent?.({ type: 'mfa.totp.enrolled', accountId: session.personId })
          context.renderAccountPage(ctx, 'account-totp-codes', { codes })
        } catch (err) {
          if (!isAppError(err)) throw err
          ctx.status = err.status
          await renderTotp(context, ctx, session.personId, session.csrf, { problem: err.code, sealed: enrolment, status: err.status })
        }
      })

      for (const action of ['recovery-codes', 'remove'] as const) {
        router.post(`/totp/${action}`, form, async (ctx) => {
          const session = await context.requireAccountSession(ctx)
          if (!session || !context.checkCsrf(ctx, session)) return
          try {
            await deps.verification.verifyForLogin(session.personId, fields(ctx, ['code']).code, 'account-totp')
          } catch (err) {
            if (!isAppError(err)) throw err
            return renderTotp(context, ctx, session.personId, session.csrf, { problem: err.code, status: err.status })
          }
          if (action === 'remove') {
            await deps.enrolment.remove(session.personId)
            deps.onEvent?.({ type: 'mfa.totp.removed', accountId: session.personId })
            return renderTotp(context, ctx, session.personId, session.csrf, { notice: 'mfa.account.removed' })
          }
          const codes = await deps.enrolment.regenerateRecoveryCodes(session.personId)
          deps.onEvent?.({ type: 'mfa.recovery_codes.regenerated', accountId: session.personId })
          context.renderAccountPage(ctx, 'account-totp-codes', { codes })
        })
      }
    },
  }

  async function renderTotp(context: AccountExtensionContext, ctx: Context, personId: string, csrf: string, extra: { problem?: string; notice?: string; sealed?: string; status?: number }) {
    const status = await deps.enrolment.status(personId)
    let pending
    if (!status.enrolled) {
      const person = await deps.persons.findPerson(personId)
      const label = person ? `${person.phone.slice(0, 3)}****${person.phone.slice(-4)}` : 'OneDoor'
      pending = (extra.sealed ? await deps.enrolment.resume(personId, extra.sealed, pendingContext(csrf), label) : undefined) ?? (await deps.enrolment.start(personId, label, pendingContext(csrf)))
    }
    ctx.status = extra.status ?? 200
    context.renderAccountPage(ctx, 'account-totp', {
      status: status.enrolled ? { ...status, since: new Date(status.confirmedAt + 8 * 3600_000).toISOString().slice(0, 10) } : status,
      pending: pending && { qrSvg: pending.qrSvg, manualKey: pending.manualKey, sealed: pending.sealed },
      problem: extra.problem,
      notice: extra.notice,
    })
    ctx.status = extra.status ?? 200
  }
}

/** Binds a pending secret to this account-centre session. */
function pendingContext(csrf: string): string {
  return `account:${csrf}`
}

function fields<const K extends string>(ctx: Context, names: readonly K[]): Record<K, string> {
  return formFields(ctx, names, 2048)
}
