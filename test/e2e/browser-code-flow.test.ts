/*
 * The foundation's pages in a real browser (headless Chromium through playwright-core): login,
 * consent, and RP-initiated logout with its confirmation button, all under the strict CSP (no
 * inline script or style, so nothing may be blocked and no console error may appear).
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { launchChromium, watchPageErrors } from '../helpers/browser.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'
import type { TestClient, TestPerson } from '../helpers/sign-in.js'

describe('code flow and logout in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let portal: http.Server
  let portalUrl: string
  let client: TestClient
  let person: TestPerson

  before(async () => {
    server = await startOneDoor()
    // The portal: answers every page with a short HTML so the browser has somewhere to land.
    portal = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>portal</title><p>portal</p>'))
    await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve))
    portalUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`
    client = await server.addClient({ name: '南岗区政务服务', redirectUris: [`${portalUrl}/callback`], postLogoutRedirectUris: [`${portalUrl}/signed-out`] })
    person = await server.addPerson({ name: '周八' })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    portal?.closeAllConnections()
    await new Promise<void>((resolve) => (portal ? portal.close(() => resolve()) : resolve()))
    await server?.close()
  })

  it('signs in through the pages, redeems the code, and logs out through the confirmation page', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' })
    const page = await context.newPage()
    const { consoleErrors, failed } = watchPageErrors(page)

    const config = await discover(server.url, client.clientId, client.clientSecret)
    const start = await startAuthorization(config, { redirect_uri: `${portalUrl}/callback`, scope: 'openid profile' })
    await page.goto(start.url.toString())
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN')
    assert.match((await page.locator('main').textContent()) ?? '', /南岗区政务服务/)
    await page.getByLabel('身份证号码或手机号码').fill(person.idNumber)
    await page.getByLabel('密码').fill(person.password)
    await page.locator('form[action$="/login"] button[type=submit]').click()
    await page.locator('form[action$="/confirm"]').waitFor()
    await page.locator('form[action$="/confirm"] button[type=submit]').click()
    await page.waitForURL((url) => url.pathname === '/callback')

    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    assert.equal(tokens.claims()?.sub, person.id)

    const endSession = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${portalUrl}/signed-out`, state: 'bye' })
    await page.goto(endSession.toString())
    await page.locator('button[name=logout][value=yes]').click()
    await page.waitForURL((url) => url.pathname === '/signed-out')
    assert.equal(new URL(page.url()).searchParams.get('state'), 'bye')

    // The session is gone: a silent request now answers login_required.
    const silent = await startAuthorization(config, { redirect_uri: `${portalUrl}/callback`, prompt: 'none' })
    await page.goto(silent.url.toString())
    await page.waitForURL((url) => url.pathname === '/callback')
    assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required')

    assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors')
    assert.deepEqual(failed, [], 'no failed requests')
    await context.close()
  })
})
