/*
 * Storing an interaction's result on the interaction this request already loaded
 * (interactionDetails). oidc-provider's interactionResult / interactionFinished load it again
 * first, with its session: two more statements on every sign-in and every consent.
 */
import type { Context } from 'koa'
import type Provider from 'oidc-provider'
import { errors, type InteractionResults } from 'oidc-provider'

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>

export interface FinishOptions {
  /** Keep what earlier prompts of this interaction submitted (as oidc-provider's option of the same name). */
  mergeWithLastSubmission: boolean
}

/** Saves `result` on the interaction and returns where the browser continues (the authorization resume URL). */
export async function saveInteractionResult(interaction: Interaction, result: InteractionResults, options: FinishOptions): Promise<string> {
  // The interaction may have expired while the person was being checked (a password hash, a TOTP
  // code): saving it with a lifetime of zero or less would store it without an expiry.
  const secondsLeft = interaction.exp - Math.floor(Date.now() / 1000)
  if (secondsLeft <= 0) throw new errors.SessionNotFound('interaction session not found')
  interaction.result = options.mergeWithLastSubmission && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result
  await interaction.save(secondsLeft)
  return interaction.returnTo
}

/** saveInteractionResult, then 303 See Other to the resume URL (as oidc-provider's interactionFinished). */
export async function finishInteraction(ctx: Context, interaction: Interaction, result: InteractionResults, options: FinishOptions): Promise<void> {
  const returnTo = await saveInteractionResult(interaction, result, options)
  ctx.status = 303
  ctx.set('Location', returnTo)
  ctx.body = ''
  ctx.remove('Content-Type')
}
