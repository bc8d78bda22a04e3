/*
 * TOTP enrolment and sign-in in a real browser (headless Debian Chromium through playwright-core):
 * the QR code renders under the strict CSP (no inline script or style), the recovery codes are
 * shown once, and the relying party (openid-client) gets acr level 3 with amr "otp".
 */
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../helpers/browser.js'
import { ACR, totpCodeAt, verifyAtCounter } from '../helpers/assurance.js'
import { startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { discover, oidc, startAuthorization } from '../helpers/relying-party.js'

describe('TOTP enrolment and sign-in in Chromium', function () {
  this.timeout(90_000)
  let server: TestServer
  let browser: Browser
  let config: oidc.Configuration
  const redirectUri = 'http://127.0.0.1:64999/cb' // not a port Chromium refuses; answered by page routing

  before(async () => {
    server = await startOneDoor()
    const client = await server.addClient({ name: '公积金', redirectUris: [redirectUri] })
    config = await discover(server.url, client.clientId, client.clientSecret)
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  /** A fresh browser profile whose requests to the relying party are answered locally; returns the callback URL promise. */
  async function newPage(): Promise<{ page: Page; callback: Promise<URL>; cspViolations: string[] }> {
    const context = await browser.newContext({ locale: 'zh-CN' })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const cspViolations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
    })
    const callback = new Promise<URL>((resolve) => {
      void context.route('http://127.0.0.1:64999/**', async (route) => {
        resolve(new URL(route.request().url()))
        await route.fulfill({ status: 200, contentType: 'text/plain', body: 'relying party' })
      })
    })
    return { page, callback, cspViolations }
  }

  async function logIn(page: Page, person: { idNumber: string; password: string }) {
    await page.fill('#identifier', person.idNumber)
    await page.fill('#password', person.password)
    await page.click('form[action$="/login"] button[type=submit]')
  }

  it('enrols within the sign-in, shows recovery codes once, then signs in again with a code', async () => {
    const person = await server.addPerson({ name: '孙三级' })
    await verifyAtCounter(server, person.id)

    // First sign-in: level 3 requested, no authenticator yet -> enrolment in the flow.
    let start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3], scope: 'openid profile' })
    let { page, callback, cspViolations } = await newPage()
    await page.goto(start.url.toString())
    await logIn(page, person)
    await page.waitForSelector('.qr svg')
    const box = await page.locator('.qr svg').boundingBox()
    assert.ok(box && box.width > 100 && box.height > 100, 'the QR code is drawn')
    const secret = (await page.locator('.manual-key').innerText()).replace(/\s/g, '')
    const enrolledAt = Date.now()
    await page.fill('#code', totpCodeAt(secret, enrolledAt))
    await page.click('form[action$="/totp-enrol"] button[type=submit]')
    await page.waitForSelector('.recovery-codes')
    assert.equal(await page.locator('.recovery-codes li').count(), 10)
    await page.click('a.button.primary')
    await page.waitForSelector('form[action$="/confirm"]')
    await page.click('form[action$="/confirm"] button[type=submit]')
    let callbackUrl = await callback
    assert.deepEqual(cspViolations, [], 'no CSP violations on the pages')
    let tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    let claims = tokens.claims()!
    assert.equal(claims.acr, ACR[3])
    assert.ok((claims.amr as string[]).includes('otp'))
    await page.context().close()

    // Second sign-in, new browser profile: password, then the 6-digit code (a step not yet used).
    start = await startAuthorization(config, { redirect_uri: redirectUri, acr_values: ACR[3], scope: 'openid profile' })
    ;({ page, callback, cspViolations } = await newPage())
    await page.goto(start.url.toString())
    await logIn(page, person)
    await page.waitForSelector('form[action$="/totp"]')
    await page.fill('#code', totpCodeAt(secret, enrolledAt + 30_000))
    await page.click('form[action$="/totp"] button[type=submit]')
    // A new browser profile has a new OneDoor session, but the consent given in the first sign-in
    // is remembered: no consent page this time.
    callbackUrl = await callback
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce })
    claims = tokens.claims()!
    assert.equal(claims.acr, ACR[3])
    assert.deepEqual([...(claims.amr as string[])].sort(), ['mfa', 'otp', 'pwd'])
    assert.deepEqual(cspViolations, [])
    await page.context().close()
  })
})
