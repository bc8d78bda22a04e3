/*
 * Account-centre pages (/account/agents) where a legal representative grants and revokes agents'
 * mandates. Managing mandates needs assurance level 3: a real-name verified identity (level 2)
 * plus a TOTP code entered with each change (checked like a sign-in code: single-use step,
 * attempt cap), so a borrowed or stolen account-centre session alone cannot hand out authority.
 */
import { bodyParser } from '@koa/bodyparser'
import type { Context } from 'koa'
import { formFields as readFormFields } from '../http/form.js'
import type { AccountExtension, AccountExtensionContext } from '../account/index.js'
import type { Assurance, Enterprises, Mandates } from '../accounts/index.js'
import type { Enrolment, Verification } from '../mfa/index.js'
import { isAppError, type AppError } from '../shared/errors.js'

export interface AgentsDeps {
  enterprises: Pick<Enterprises, 'listRepresentedBy'>
  mandates: Pick<Mandates, 'grantMandate' | 'revokeMandate' | 'listMandates' | 'validateNewMandate'>
  assurance: Pick<Assurance, 'identityLevel'>
  enrolment: Pick<Enrolment, 'isEnrolled'>
  verification: Pick<Verification, 'verifyForLogin'>
  onEvent?: (event: { type: string; accountId: string }) => void
}

const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' })

export function agentsExtension(deps: AgentsDeps): AccountExtension {
  return {
    nav: [{ href: '/account/agents', labelKey: 'agents.nav' }],
    mount(context) {
      const { router } = context
      router.get('/agents', async (ctx) => {
        const session = await context.requireAccountSession(ctx)
        if (!session) return
        await renderAgents(context, ctx, session.personId, {})
      })

      router.post('/agents/grant', form, async (ctx) => {
        const session = await context.requireAccountSession(ctx)
        if (!session || !context.checkCsrf(ctx, session)) return
        const fields = formFields(ctx, ['enterpriseId', 'agentIdNumber', 'until', 'clients', 'code'])
        const input = { enterpriseId: fields.enterpriseId, agentIdNumber: fields.agentIdNumber, until: fields.until || undefined, clientIds: fields.clients.split(/[\s,]+/).filter(Boolean) }
        // Validate first (nothing written, no TOTP step spent on a form that cannot succeed).
        const checked = await deps.mandates.validateNewMandate(session.personId, input)
        if (checked.problems.length > 0) return renderAgents(context, ctx, session.personId, { problems: checked.problems, status: checked.problems[0].status })
        const denied = await checkLevel3(session.personId, fields.code)
        if (denied) return renderAgents(context, ctx, session.personId, { problems: [denied], status: denied.status })
        await deps.mandates.grantMandate(session.personId, input)
        deps.onEvent?.({ type: 'enterprise.mandate.granted', accountId: session.personId })
        await renderAgents(context, ctx, session.personId, { notice: 'agents.granted' })
      })

      router.post('/agents/revoke', form, async (ctx) => {
        const session = await context.requireAccountSession(ctx)
        if (!session || !context.checkCsrf(ctx, session)) return
        const fields = formFields(ctx, ['enterpriseId', 'mandateId', 'code'])
        const denied = await checkLevel3(session.personId, fields.code)
        if (denied) return renderAgents(context, ctx, session.personId, { problems: [denied], status: denied.status })
        try {
          await deps.mandates.revokeMandate(session.personId, fields.enterpriseId, fields.mandateId)
        } catch (err) {
          if (!isAppError(err)) throw err
          return renderAgents(context, ctx, session.personId, { problems: [err], status: err.status })
        }
        deps.onEvent?.({ type: 'enterprise.mandate.revoked', accountId: session.personId })
        await renderAgents(context, ctx, session.personId, { notice: 'agents.revoked' })
      })
    },
  }

  /** Level 3 for this change: real-name verified identity plus a valid TOTP code now; the problem otherwise. */
  async function checkLevel3(personId: string, code: string): Promise<AppError | undefined> {
    if ((await deps.assurance.identityLevel(personId)) < 2) return levelError('AGENTS_LEVEL_2_REQUIRED', 403)
    if (!(await deps.enrolment.isEnrolled(personId))) return levelError('AGENTS_TOTP_REQUIRED', 403)
    try {
      await deps.verification.verifyForLogin(personId, code, `account-agents`)
      return undefined
    } catch (err) {
      if (isAppError(err)) return err
      throw err
    }
  }

  async function renderAgents(context: AccountExtensionContext, ctx: Context, personId: string, extra: { problems?: AppError[]; notice?: string; status?: number }) {
    const enterprises = await deps.enterprises.listRepresentedBy(personId)
    const withMandates = await Promise.all(enterprises.map(async (enterprise) => ({ enterprise, mandates: await deps.mandates.listMandates(personId, enterprise.id) })))
    const [level, enrolled] = await Promise.all([deps.assurance.identityLevel(personId), deps.enrolment.isEnrolled(personId)])
    ctx.status = extra.status ?? 200
    context.renderAccountPage(ctx, 'account-agents', {
      enterprises: withMandates,
      level,
      enrolled,
      now: Date.now(),
      problems: (extra.problems ?? []).map((p) => p.code),
      notice: extra.notice,
    })
    ctx.status = extra.status ?? 200
  }
}

function levelError(code: string, status: number): AppError {
  return { name: 'AppError', code, status, expose: true, message: code } as AppError
}

function formFields<const K extends string>(ctx: Context, names: readonly K[]): Record<K, string> {
  return readFormFields(ctx, names, 1024)
}
