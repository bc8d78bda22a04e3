/*
 * The audit trail records second-factor outcomes, step-up (requested, failed, succeeded) and
 * every back-channel logout delivery (issue 5: "every sign-in event … MFA, step-up …, logout and
 * logout delivery"). Threat: a stolen password tried against TOTP, or a portal that never heard
 * of a logout, leaves no trace.
 */
import assert from 'node:assert/strict'
import { ACR, codes, enrolTotp, stepOf, unusedTotpCode, verifyAtCounter, walkSignIn } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, startAuthorization } from '../helpers/relying-party.js'
import { UserAgent } from '../helpers/user-agent.js'
import { addPortal, closePortals, logoutAt, signInAt, type Portal } from '../federation/slo-helpers.js'

describe('audit trail: MFA outcomes and logout deliveries', () => {
  let server: TestServer
  const portals: Portal[] = []

  before(async () => {
    server = await startOneDoor({ overrides: { admin: { requiredAcr: null } } })
  })
  after(async function () {
    this.timeout(120_000)
    await closePortals(portals)
    await server?.close()
  })

  /** Audit appends are group-committed after the request; wait (bounded) until `type` appears for `actorId`. */
  async function auditRows(type: string, where: Record<string, string> = {}) {
    for (let i = 0; i < 50; i += 1) {
      const rows = await server.onedoor.db('audit_events').where({ type, ...where })
      if (rows.length > 0) return rows
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return []
  }

  it('records a wrong and a right TOTP code in a sign-in, and the step-up they answer', async () => {
    const person = await server.addPerson()
    await verifyAtCounter(server, person.id)
    const { secret, enrolledAt } = await enrolTotp(server, person.id)
    const redirectUri = 'http://127.0.0.1:9/audit/callback'
    const client = await server.addClient({ redirectUris: [redirectUri] })
    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3] })
    const right = (await unusedTotpCode(secret, [stepOf(enrolledAt)])).code
    const wrong = right === '000000' ? '111111' : '000000'
    const walked = await walkSignIn(new UserAgent(), start.url, redirectUri, { identifier: person.idNumber, password: person.password, totp: codes(wrong, right) })
    assert.ok(walked.callbackUrl, 'the sign-in completes with the right code')
    const failed = await auditRows('auth.mfa.failed', { actor_id: person.id })
    assert.equal(failed.length, 1)
    assert.equal(failed[0].result, 'failure')
    const succeeded = await auditRows('auth.mfa.succeeded', { actor_id: person.id })
    assert.ok(succeeded.length >= 1)

    // The same sign-in as step-up events: requested (with the levels), failed, succeeded.
    const requested = await auditRows('auth.stepup.requested', { actor_id: person.id })
    assert.ok(requested.length >= 1)
    assert.equal(requested[0].client_id, client.clientId)
    assert.equal(JSON.parse(requested[0].details).requiredLevel, 3)
    const stepFailed = await auditRows('auth.stepup.failed', { actor_id: person.id })
    assert.equal(stepFailed.length, 1)
    assert.equal(stepFailed[0].result, 'failure')
    assert.equal(stepFailed[0].error_code, 'MFA_CODE_INVALID')
    const stepSucceeded = await auditRows('auth.stepup.succeeded', { actor_id: person.id })
    assert.equal(stepSucceeded.length, 1)
    assert.equal(JSON.parse(stepSucceeded[0].details).method, 'totp')
    assert.doesNotMatch(stepSucceeded[0].details + stepFailed[0].details, new RegExp(`${right}|${wrong}`), 'codes are never recorded')
  })

  it('records each back-channel logout delivery, delivered or failed', async () => {
    const live = await addPortal(server, 'audit-live')
    const down = await addPortal(server, 'audit-down')
    portals.push(live, down)
    await down.receiver.close()
    const person = await server.addPerson()
    const agent = new UserAgent()
    const first = await signInAt(agent, live, person)
    await signInAt(agent, down, person)
    await logoutAt(agent, live, first.tokens.id_token!)
    const delivered = await auditRows('oidc.logout.delivered', { target_id: live.clientId })
    assert.equal(delivered.length, 1)
    assert.equal(delivered[0].result, 'success')
    const failed = await auditRows('oidc.logout.failed', { target_id: down.clientId })
    assert.equal(failed.length, 1)
    assert.equal(failed[0].error_code, 'delivery_failed')
    const verification = await server.onedoor.services.audit.verify()
    assert.equal(verification.ok, true, 'the chain still verifies')
  })
})
