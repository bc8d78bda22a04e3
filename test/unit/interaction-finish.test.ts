/*
 * Storing an interaction's result on the interaction the request loaded (src/oidc/interactions/
 * finish.ts), as oidc-provider's interactionResult does after loading it again.
 */
import assert from 'node:assert/strict'
import { errors } from 'oidc-provider'
import { saveInteractionResult } from '../../src/oidc/interactions/finish.js'

type Interaction = Parameters<typeof saveInteractionResult>[0]

/** An interaction model with what saveInteractionResult uses, recording each save's lifetime. */
function interaction(secondsLeft: number, lastSubmission?: Record<string, unknown>) {
  const saves: number[] = []
  const model = {
    exp: Math.floor(Date.now() / 1000) + secondsLeft,
    lastSubmission,
    result: undefined as unknown,
    returnTo: 'https://sso.example/auth/uid-1',
    save: async (ttl: number) => {
      saves.push(ttl)
      return 'uid-1'
    },
  }
  return { model, saves, asInteraction: model as unknown as Interaction }
}

describe('saving an interaction result on the loaded interaction', () => {
  it('stores the result for the lifetime left and returns the resume URL', async () => {
    const { model, saves, asInteraction } = interaction(600)
    assert.equal(await saveInteractionResult(asInteraction, { login: { accountId: 'p1' } }, { mergeWithLastSubmission: false }), 'https://sso.example/auth/uid-1')
    assert.deepEqual(model.result, { login: { accountId: 'p1' } })
    assert.equal(saves.length, 1)
    assert.ok(saves[0] > 598 && saves[0] <= 600, `saved for ${saves[0]} s`)
  })

  it('keeps earlier prompts’ results when asked, but not for an error', async () => {
    const merged = interaction(600, { login: { accountId: 'p1' } })
    await saveInteractionResult(merged.asInteraction, { consent: { grantId: 'g1' } }, { mergeWithLastSubmission: true })
    assert.deepEqual(merged.model.result, { login: { accountId: 'p1' }, consent: { grantId: 'g1' } })

    const aborted = interaction(600, { login: { accountId: 'p1' } })
    await saveInteractionResult(aborted.asInteraction, { error: 'access_denied' }, { mergeWithLastSubmission: true })
    assert.deepEqual(aborted.model.result, { error: 'access_denied' })
  })

  it('refuses an interaction that expired meanwhile, without storing it (it would be kept with no expiry)', async () => {
    const { saves, asInteraction } = interaction(0)
    await assert.rejects(saveInteractionResult(asInteraction, { login: { accountId: 'p1' } }, { mergeWithLastSubmission: false }), errors.SessionNotFound)
    assert.deepEqual(saves, [])
  })
})
