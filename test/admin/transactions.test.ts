/*
 * "Every administrator action … is recorded in the same transaction as the change" (issue 5).
 * Threat: an action that happens without its audit record (or a record of an action that did not
 * happen) — an unlock nobody can trace. A real database failure is injected into the audit append
 * (a trigger refusing one event type): the change must roll back with it. With the trigger gone,
 * the change and its record commit together. The MFA reset goes through the MFA domain's service.
 */
import assert from 'node:assert/strict'
import { enrolTotp } from '../helpers/assurance.js'
import { testDbKind, type TestServer } from '../helpers/onedoor.js'
import { addAdmin, adminToken, api, consoleSignIn, startAdminServer } from './admin-helpers.js'

describe('admin actions commit with their audit record', function () {
  this.timeout(120_000)
  let server: TestServer
  let token: string

  before(async () => {
    server = await startAdminServer()
    token = await adminToken(server, await addAdmin(server, 'province_admin', '230000'))
  })
  after(() => server.close())

  /** Makes the database refuse audit records of `type` until the returned function is called. */
  async function refuseAuditOf(type: string): Promise<() => Promise<void>> {
    const db = server.onedoor.db
    const name = `refuse_${type.replace(/\W/g, '_')}`
    if (testDbKind() === 'pg') {
      await db.raw(`CREATE FUNCTION ${name}() RETURNS trigger AS $$ BEGIN IF NEW.type = '${type}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`)
      await db.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${name}()`)
      return async () => {
        await db.raw(`DROP TRIGGER ${name} ON audit_events`)
        await db.raw(`DROP FUNCTION ${name}()`)
      }
    }
    await db.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON audit_events WHEN NEW.type = '${type}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
    return async () => {
      await db.raw(`DROP TRIGGER ${name}`)
    }
  }

  const records = (type: string, targetId: string) => server.onedoor.db('audit_events').where({ type, target_id: targetId })

  it('unlock: neither the unlock nor its record when the record fails; both when it succeeds', async () => {
    const locked = await addAdmin(server, 'county_admin', '230102')
    await server.onedoor.db('admins').where({ person_id: locked.personId }).update({ failed_sign_ins: 0, locked_until: Date.now() + 30 * 60_000 })
    const { persons } = server.onedoor.services
    await persons.recordSignInFailure(persons.signInSubject(locked.phone))
    const throttleRows = async () => Number((await server.onedoor.db('rate_limits').count({ n: '*' }).first())?.n)
    const before = await throttleRows()

    const restore = await refuseAuditOf('admin.person.unlocked')
    const failed = await api(server, token).post(`/persons/${locked.personId}/unlock`, { reason: '本人到窗口申请解锁' })
    await restore()
    assert.equal(failed.status, 500)
    assert.equal(failed.body.error, 'server_error')
    assert.ok((await server.onedoor.db('admins').where({ person_id: locked.personId }).first()).locked_until, 'still locked')
    assert.equal(await throttleRows(), before, 'the throttle counters are untouched')
    assert.equal((await records('admin.person.unlocked', locked.personId)).length, 0)

    const ok = await api(server, token).post(`/persons/${locked.personId}/unlock`, { reason: '本人到窗口申请解锁' })
    assert.equal(ok.status, 200)
    assert.equal((await server.onedoor.db('admins').where({ person_id: locked.personId }).first()).locked_until, null)
    assert.ok((await throttleRows()) < before, 'the throttle counters are cleared')
    assert.equal((await records('admin.person.unlocked', locked.personId)).length, 1)
  })

  it('end all sessions: sessions, console and API access survive a failed record; all end with a written one', async () => {
    const target = await addAdmin(server, 'county_admin', '230102')
    const targetToken = await adminToken(server, target)
    const { agent } = await consoleSignIn(server, target)
    const liveSessions = async () => Number((await server.onedoor.db('oidc_payloads').where({ type: 'Session', account_id: target.personId }).count({ n: '*' }).first())?.n)
    assert.ok((await liveSessions()) > 0, 'the target has OneDoor sessions')

    const restore = await refuseAuditOf('admin.person.sessions_ended')
    const failed = await api(server, token).post(`/persons/${target.personId}/end-sessions`, { reason: '疑似账号被盗用' })
    await restore()
    assert.equal(failed.status, 500)
    assert.ok((await liveSessions()) > 0, 'OneDoor sessions still there')
    assert.equal((await agent.get(`${server.url}/admin/clients`)).status, 200, 'console session still open')
    assert.equal((await api(server, targetToken).get('/me')).status, 200, 'API token still accepted')
    assert.equal((await records('admin.person.sessions_ended', target.personId)).length, 0)

    const ok = await api(server, token).post(`/persons/${target.personId}/end-sessions`, { reason: '疑似账号被盗用' })
    assert.equal(ok.status, 200)
    assert.ok(ok.body.sessionsEnded > 0)
    assert.equal(await liveSessions(), 0)
    assert.equal((await agent.get(`${server.url}/admin/clients`, (u) => u.pathname === '/auth')).status, 0, 'console session ended')
    assert.equal((await api(server, targetToken).get('/me')).status, 401, 'API token cut')
    const [record] = await records('admin.person.sessions_ended', target.personId)
    assert.equal(JSON.parse(record.details).sessions, ok.body.sessionsEnded)
  })

  it('MFA reset goes through the MFA service and commits with its record', async () => {
    const enrolled = await addAdmin(server, 'county_admin', '230102')
    await enrolTotp(server, enrolled.personId)
    const credentials = async () => Number((await server.onedoor.db('totp_credentials').where({ person_id: enrolled.personId }).count({ n: '*' }).first())?.n)

    const restore = await refuseAuditOf('admin.person.mfa_reset')
    const failed = await api(server, token).post(`/persons/${enrolled.personId}/reset-mfa`, { reason: '手机遗失，本人申请' })
    await restore()
    assert.equal(failed.status, 500)
    assert.equal(await credentials(), 1, 'the authenticator is still there')
    assert.ok(Number((await server.onedoor.db('recovery_codes').where({ person_id: enrolled.personId }).count({ n: '*' }).first())?.n) > 0)

    const ok = await api(server, token).post(`/persons/${enrolled.personId}/reset-mfa`, { reason: '手机遗失，本人申请' })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.mfaRemoved, true)
    assert.equal(await credentials(), 0)
    assert.equal(Number((await server.onedoor.db('recovery_codes').where({ person_id: enrolled.personId }).count({ n: '*' }).first())?.n), 0)
    const [record] = await records('admin.person.mfa_reset', enrolled.personId)
    assert.equal(JSON.parse(record.details).enrolled, true)
    const verification = await server.onedoor.services.audit.verify()
    assert.equal(verification.ok, true, 'the rolled-back appends left the chain intact')
  })
})
