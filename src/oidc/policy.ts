/*
 * Interaction policy, in order: login (built in) -> identity (act as self, or as agent for an
 * enterprise) -> assurance (real-name level and TOTP step-up) -> consent (built in). Prompts are
 * evaluated in this order; the first check that asks for interaction decides the page shown.
 *
 * The session's acr is derived, never typed in: level 1 or 2 from the identity's real-name level,
 * level 3 when the identity is level 2 and TOTP was verified in this sign-in (amr contains "otp").
 * The built-in essential_acr(s) login checks are replaced by the assurance prompt, so a request for
 * a higher acr leads to step-up (or to a page explaining how to raise the identity's level), not to
 * a second password prompt.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider'
import type { AcrMap, Assurance, Mandates } from '../accounts/index.js'
import type { ActingGrants } from './acting.js'

const { base, Prompt, Check } = interactionPolicy

export interface PolicyDeps {
  acr: AcrMap
  assurance: Pick<Assurance, 'identityLevel'>
  mandates: Pick<Mandates, 'actingOptions'>
  acting: Pick<ActingGrants, 'findSubject'>
}

export const IDENTITY_PROMPT = 'identity'
export const ASSURANCE_PROMPT = 'assurance'
export const LEGAL_PERSON_SCOPE = 'legal_person'

export function buildPolicy(deps: PolicyDeps): interactionPolicy.DefaultPolicy {
  const policy = base() // [login, consent]
  const login = policy.get('login')!
  login.checks.remove('essential_acrs')
  login.checks.remove('essential_acr')
  policy.add(identityPrompt(deps), 1) // [login, identity, consent]
  policy.add(assurancePrompt(deps), 2) // [login, identity, assurance, consent]
  return policy
}

/** "Choose whom you act for": asked when the client wants a legal person, or allows one and the person can act for one. */
function identityPrompt(deps: PolicyDeps): interactionPolicy.Prompt {
  return new Prompt(
    { name: IDENTITY_PROMPT, requestable: false },
    new Check('acting_subject_not_chosen', 'the End-User must choose whom they act for', async (ctx) => {
      const { session, client, params, result, grant } = ctx.oidc
      if (!session?.accountId || !client || result?.[IDENTITY_PROMPT]) return Check.NO_NEED_TO_PROMPT
      // A grant that acts for an enterprise is never reused silently: the person chooses again.
      if (grant?.jti && (await deps.acting.findSubject(grant.jti)) !== null) return Check.REQUEST_PROMPT
      const requested = String(params?.scope ?? '').split(' ').includes(LEGAL_PERSON_SCOPE)
      if (!requested && !clientAllowsLegalPerson(client)) return Check.NO_NEED_TO_PROMPT
      const options = await deps.mandates.actingOptions(session.accountId, client.clientId)
      return options.length > 0 ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT
    }),
  )
}

function assurancePrompt(deps: PolicyDeps): interactionPolicy.Prompt {
  return new Prompt(
    { name: ASSURANCE_PROMPT, requestable: false },
    async (ctx) => {
      const state = await sessionAssurance(ctx, deps)
      return { requiredLevel: state.required.level, essential: state.required.essential, identityLevel: state.identityLevel, sessionLevel: state.sessionLevel }
    },
    new Check('identity_level_insufficient', 'the identity has not reached the requested real-name level', async (ctx) => {
      const state = await sessionAssurance(ctx, deps)
      if (state.identityLevel >= Math.min(state.required.level, 2)) return Check.NO_NEED_TO_PROMPT
      // A voluntary request may be declined by the person on the explanation page.
      if (!state.required.essential && (ctx.oidc.result?.[ASSURANCE_PROMPT] as { acceptLower?: boolean } | undefined)?.acceptLower) return Check.NO_NEED_TO_PROMPT
      return Check.REQUEST_PROMPT
    }),
    new Check('second_factor_required', 'the requested level needs a second factor in this sign-in', async (ctx) => {
      const state = await sessionAssurance(ctx, deps)
      if (state.identityLevel < 2 || state.sessionLevel >= state.required.level) return Check.NO_NEED_TO_PROMPT
      return Check.REQUEST_PROMPT
    }),
  )
}

function clientAllowsLegalPerson(client: { scope?: string }): boolean {
  return typeof client.scope === 'string' && client.scope.split(' ').includes(LEGAL_PERSON_SCOPE)
}

interface SessionAssurance {
  identityLevel: number
  sessionLevel: number
  required: { level: number; essential: boolean }
}

const memo = new WeakMap<object, Promise<SessionAssurance>>()

/**
 * The identity's level, the level this sign-in reached, and what the client asks for, computed
 * once per request. Records the reached level as the session's acr, so ID tokens state it.
 */
function sessionAssurance(ctx: KoaContextWithOIDC, deps: PolicyDeps): Promise<SessionAssurance> {
  let pending = memo.get(ctx)
  if (!pending) {
    pending = (async () => {
      const session = ctx.oidc.session!
      const identityLevel = session.accountId ? await deps.assurance.identityLevel(session.accountId) : 0
      const sessionLevel = reachedLevel(identityLevel, session.amr)
      const acr = deps.acr.acrForLevel(Math.max(1, sessionLevel))
      if (session.accountId && session.acr !== acr) session.acr = acr
      return { identityLevel, sessionLevel, required: requiredLevel(ctx, deps.acr) }
    })()
    memo.set(ctx, pending)
  }
  return pending
}

/** Level 1 or 2 from the identity; 3 when a level-2 identity verified TOTP in this sign-in (RFC 8176 "otp"). */
export function reachedLevel(identityLevel: number, amr: string[] | undefined): number {
  if (identityLevel >= 2 && (amr?.includes('otp') || amr?.includes('mfa'))) return 3
  return Math.min(identityLevel, 2)
}

/**
 * The lowest level among the acr values asked for (any of them satisfies the request, OIDC Core
 * §5.5.1.1), from acr_values / default_acr_values (voluntary) or the claims parameter (maybe essential).
 */
export function requiredLevel(ctx: KoaContextWithOIDC, acr: AcrMap): { level: number; essential: boolean } {
  const request = (ctx.oidc.claims as { id_token?: { acr?: { essential?: boolean; value?: string; values?: string[] } } })?.id_token?.acr
  const values = request?.values ?? (request?.value ? [request.value] : [])
  const levels = (Array.isArray(values) ? values : []).map((v) => acr.levelOfAcr(String(v))).filter((l) => l > 0)
  if (levels.length === 0) return { level: 0, essential: false }
  return { level: Math.min(...levels), essential: request?.essential === true }
}
