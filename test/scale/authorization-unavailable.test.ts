/*
 * The database goes away after the authorization endpoint has validated the client and its
 * redirect_uri (issue 6): the error goes back to the portal as `error=temporarily_unavailable`
 * (RFC 6749 §4.1.2.1), never `server_error`, in the query (the default) and in a form_post, with
 * the request's state and the issuer; once the database is back the same request works.
 *
 * A private PostgreSQL (test/helpers/private-postgres.ts) is stopped between two authorization
 * requests. The node keeps client registrations in memory for five minutes here (clients.cacheMs), so
 * the client is surely validated from memory and the first database access that fails is the
 * one after it (storing the interaction).
 */
import assert from 'node:assert/strict'
import { UNAVAILABLE_DESCRIPTION } from '../../src/http/errors.js'
import { usePrivateDatabaseDrill } from '../helpers/drill-fixture.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import { eventually } from '../helpers/sign-in.js'
import { UserAgent } from '../helpers/user-agent.js'

describe('authorization endpoint while the database is away (issue 6)', function () {
  this.timeout(120_000)

  const drill = usePrivateDatabaseDrill({ seed: { persons: 1 }, nodeConfig: { clients: { cacheMs: 300_000 } } })

  it('redirects to the portal with error=temporarily_unavailable, not server_error, and works again once the database is back', async () => {
    const portal = drill.data.portals[0]
    const config = await discover(drill.node.url, portal.clientId, portal.clientSecret)
    const atPortal = (url: URL) => url.toString().startsWith(portal.redirectUri)
    const authorize = () => startAuthorization(config, { redirect_uri: portal.redirectUri, scope: 'openid profile' })

    // Step 1, database up: the login page; the node now holds the client's registration.
    const first = await new UserAgent().get((await authorize()).url.toString(), atPortal)
    assert.ok(first.body.includes('/login"'), `a login page, got ${first.status} at ${first.url}`)

    await drill.data.db.destroy() // the test's own pool, reopened afterwards: only the node's connections break
    await drill.pg.stop('immediate')
    try {
      // Step 2, database down: a new authorization request of the same portal.
      const start = await authorize()
      const landed = await new UserAgent().get(start.url.toString(), atPortal)
      assert.equal(landed.status, 0, `back at the portal, got ${landed.status} at ${landed.url}: ${landed.body.slice(0, 200)}`)
      const callback = new URL(landed.url)
      assert.equal(callback.searchParams.get('error'), 'temporarily_unavailable')
      assert.equal(callback.searchParams.get('error_description'), UNAVAILABLE_DESCRIPTION)
      assert.equal(callback.searchParams.get('state'), start.state, 'the state comes back')
      assert.equal(callback.searchParams.get('iss'), drill.node.url, 'the issuer comes back (RFC 9207)')
      // The portal's openid-client sees an authorization error it can explain to the person.
      await assert.rejects(
        oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce }),
        (err: Error & { error?: string }) => err.error === 'temporarily_unavailable',
      )

      // response_mode=form_post: the page posting the answer back carries the same error.
      const posted = await fetch((await startAuthorization(config, { redirect_uri: portal.redirectUri, scope: 'openid', response_mode: 'form_post' })).url, { redirect: 'manual' })
      const form = await posted.text()
      assert.equal(posted.status, 400, form.slice(0, 300))
      assert.ok(form.includes(`action="${portal.redirectUri}"`), 'a form posting back to the portal')
      assert.ok(form.includes('name="error" value="temporarily_unavailable"'), form)
      assert.ok(!form.includes('server_error'), 'no server_error anywhere')
    } finally {
      await drill.pg.start()
      drill.data.db.initialize()
    }

    // Step 3, database back: the same kind of request shows the login page again, without a restart.
    await eventually(async () => {
      const again = await new UserAgent().get((await authorize()).url.toString(), atPortal)
      return again.body.includes('/login"') || undefined
    }, 'a login page once the database is back')
  })
})
