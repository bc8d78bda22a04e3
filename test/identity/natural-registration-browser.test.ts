/*
 * Registration as a resident does it, in headless Chromium (Debian's chromium, playwright-core):
 * from the account centre to the sign-in page, "register", the SMS code from the outbox, the
 * privacy notice, back to the sign-in, and into the account centre. No inline script or style
 * exists, so the page must work under the strict CSP with no console errors.
 */
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { launchChromium, watchPageErrors } from '../helpers/browser.js'
import { randomIdNumber, randomPhone, startOneDoor, type TestServer } from '../helpers/onedoor.js'
import { IDENTITY_OVERRIDES, latestCode } from './natural-helpers.js'

describe('registration in a browser', function () {
  this.timeout(120_000)
  let server: TestServer
  let browser: Browser

  before(async () => {
    server = await startOneDoor({ overrides: IDENTITY_OVERRIDES })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('registers with an SMS code and lands in the account centre', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' })
    const page = await context.newPage()
    const { consoleErrors, failed } = watchPageErrors(page)
    const phone = randomPhone()
    const idNumber = randomIdNumber().replace(/X$/, 'x')
    const password = '冰城的夏天 有丁香花'

    await page.goto(`${server.url}/account`)
    await page.locator('nav.self-service a[href$="/register"]').click()
    await page.locator('input[name=name]').fill('刘一手')
    await page.locator('select[name=documentType]').selectOption('resident_id')
    await page.locator('input[name=idNumber]').fill(idNumber)
    await page.locator('input[name=phone]').fill(phone)
    await page.locator('button[value=send_code]').click()
    await page.locator('p.notice').waitFor()
    assert.equal(await page.locator('input[name=name]').inputValue(), '刘一手', 'kept across sending the code')
    const code = await latestCode(server, phone)
    assert.ok(code)
    await page.locator('input[name=smsCode]').fill(code)
    await page.locator('input[name=password]').fill(password)
    await page.locator('input[name=privacy]').check()
    await page.locator('button[value=register]').click()
    await page.locator('p.notice').waitFor()
    assert.match(await page.locator('p.notice').textContent() ?? '', /注册成功/)
    assert.equal(await page.locator('input[name=identifier]').inputValue(), phone)

    await page.locator('input[name=password]').fill(password)
    await page.locator('form[action$="/login"] button[type=submit]').click()
    await page.waitForURL(`${server.url}/account`)
    const body = await page.locator('main').textContent()
    assert.match(body ?? '', /刘一手/)
    assert.ok(!(body ?? '').includes(idNumber.toUpperCase()), 'the ID number is shown masked only')
    assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors')
    assert.deepEqual(failed, [], 'no failed requests')
    await context.close()
  })
})
