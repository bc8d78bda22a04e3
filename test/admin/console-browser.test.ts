/*
 * The admin console in headless Chromium: an administrator signs in through OneDoor itself (the
 * console is a first-party OIDC client), works only inside their division, and every page obeys
 * the strict CSP (no inline script or style). Threat covered: a county administrator opening
 * another county's system or account by URL gets 403.
 */
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../helpers/browser.js'
import type { TestServer } from '../helpers/onedoor.js'
import { randomIdNumber } from '../helpers/onedoor.js'
import { addAdmin, addSystem, startAdminServer, type TestAdmin } from './admin-helpers.js'

describe('admin console in Chromium', function () {
  this.timeout(120_000)
  let server: TestServer
  let browser: Browser
  let county: TestAdmin
  let auditor: TestAdmin
  const systems: Record<string, string> = {}
  const persons: Record<string, { id: string; idNumber: string }> = {}

  before(async () => {
    server = await startAdminServer()
    county = await addAdmin(server, 'county_admin', '230102')
    auditor = await addAdmin(server, 'auditor', '230000')
    for (const d of ['230102', '230103']) systems[d] = (await addSystem(server, d, `政务系统 ${d}`)).clientId
    for (const d of ['230102', '230103']) persons[d] = await server.addPerson({ name: '赵六', idNumber: randomIdNumber(d) })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  async function signIn(admin: TestAdmin, locale = 'zh-CN'): Promise<{ page: Page; cspViolations: string[] }> {
    const context = await browser.newContext({ locale })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const cspViolations: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
    })
    await page.goto(`${server.url}/admin`)
    await page.fill('#identifier', admin.idNumber)
    await page.fill('#password', admin.password)
    await page.click('form[action$="/login"] button[type=submit]')
    await page.waitForSelector('form[action$="/confirm"]')
    await page.click('form[action$="/confirm"] button[type=submit]')
    await page.waitForURL(`${server.url}/admin`)
    return { page, cspViolations }
  }

  it('signs a county administrator in through OneDoor and keeps them inside 230102', async () => {
    const { page, cspViolations } = await signIn(county)
    assert.match(await page.locator('main').innerText(), /县级管理员/)
    assert.match(await page.locator('main').innerText(), /230102/)

    await page.click('nav a[href="/admin/clients"]')
    const rows = await page.locator('#clients tbody tr').allInnerTexts()
    assert.equal(rows.length, 1)
    assert.match(rows[0], /政务系统 230102/)

    // Another county's system and account, by URL: 403 pages, no data.
    const system = await page.goto(`${server.url}/admin/clients/${systems['230103']}`)
    assert.equal(system?.status(), 403)
    assert.ok(!(await page.content()).includes('政务系统 230103'))
    const person = await page.goto(`${server.url}/admin/persons/${persons['230103'].id}`)
    assert.equal(person?.status(), 403)

    // Its own system: edit the redirect URIs through the form.
    await page.goto(`${server.url}/admin/clients/${systems['230102']}`)
    await page.fill('#e-redirect', 'https://portal-230102.example.gov.cn/new-callback')
    await page.click('form[action$="' + systems['230102'] + '"] button[type=submit]')
    await page.waitForURL(`${server.url}/admin/clients/${systems['230102']}`)
    assert.equal(await page.inputValue('#e-redirect'), 'https://portal-230102.example.gov.cn/new-callback')
    assert.deepEqual(cspViolations, [])
    await page.context().close()
  })

  it('searches an account by ID number (masked), verifies it at the counter, and reveals the number with a reason', async () => {
    const { page, cspViolations } = await signIn(county)
    await page.click('nav a[href="/admin/persons"]')
    await page.fill('#q', persons['230102'].idNumber)
    await page.click('form[action="/admin/persons"] button[type=submit]')
    const rows = await page.locator('#persons tbody tr').allInnerTexts()
    assert.equal(rows.length, 1)
    assert.ok(!rows[0].includes(persons['230102'].idNumber), 'masked in results')
    assert.ok(!page.url().includes(persons['230102'].idNumber), 'never in the URL')
    await page.click('#persons tbody a')
    await page.fill('#evidence', '居民身份证原件核验')
    await page.click('form[action$="/verify"] button[type=submit]')
    await page.waitForSelector('#level')
    assert.equal((await page.locator('#level').innerText()).trim(), '2')
    await page.fill('#r-reveal', '办理业务需核对完整证件号')
    await page.click('form[action$="/reveal"] button[type=submit]')
    assert.equal((await page.locator('#id-number').innerText()).trim(), persons['230102'].idNumber)
    // Searching a resident of 230103 finds nothing.
    await page.goto(`${server.url}/admin/persons`)
    await page.fill('#q', persons['230103'].idNumber)
    await page.click('form[action="/admin/persons"] button[type=submit]')
    assert.equal(await page.locator('#persons tbody tr').count(), 0)
    assert.deepEqual(cspViolations, [])
    await page.context().close()
  })

  it('shows a bad form submission inline (4xx, values kept, message at the field) and creates nothing', async () => {
    const { page, cspViolations } = await signIn(county, 'en')
    const before = Number((await server.onedoor.db('clients').count({ n: '*' }).first())?.n)
    await page.click('nav a[href="/admin/clients"]')
    await page.fill('#c-name', 'Broken system')
    await page.fill('#c-division', '230102')
    await page.fill('#c-redirect', 'not a uri')
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form[method="post"][action="/admin/clients"] button[type=submit]')])
    assert.equal(response.status(), 400)
    assert.equal((await page.locator('#create-redirectUris-error').innerText()).trim(), 'Enter one https address per line (http only for localhost).')
    assert.equal(await page.getAttribute('#c-redirect', 'aria-invalid'), 'true')
    assert.equal(await page.inputValue('#c-name'), 'Broken system', 'what was typed is kept')
    assert.equal(await page.inputValue('#c-redirect'), 'not a uri')
    // Corrected in place and sent again from the re-displayed form.
    await page.fill('#c-redirect', 'https://portal-230102.example.gov.cn/broken-fixed')
    await page.fill('#c-division', '23010')
    const [again] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form[method="post"][action="/admin/clients"] button[type=submit]')])
    assert.equal(again.status(), 400)
    assert.match(await page.locator('#create-divisionCode-error').innerText(), /6-digit/)
    assert.equal(await page.locator('#create-redirectUris-error').count(), 0, 'the fixed field has no message')
    // Another county's division: 403.
    await page.goto(`${server.url}/admin/clients`)
    await page.fill('#c-name', 'Not my county')
    await page.fill('#c-division', '230103')
    await page.fill('#c-redirect', 'https://portal.example.gov.cn/cb')
    const [forbidden] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form[method="post"][action="/admin/clients"] button[type=submit]')])
    assert.equal(forbidden.status(), 403)
    assert.equal(Number((await server.onedoor.db('clients').count({ n: '*' }).first())?.n), before)
    assert.deepEqual(cspViolations, [])
    await page.context().close()
  })

  it('gives the auditor the audit trail (and CSV), the dashboard is not theirs, and sign-out ends the session', async () => {
    const { page, cspViolations } = await signIn(auditor, 'en')
    assert.equal(await page.locator('nav a[href="/admin/clients"]').count(), 0)
    await page.click('nav a[href="/admin/audit"]')
    const types = await page.locator('#audit tbody tr td:nth-child(3)').allInnerTexts()
    assert.ok(types.includes('admin.person.id_number_revealed'))
    assert.ok(types.includes('admin.access.denied'))
    const csv = await page.request.get(`${server.url}/admin/audit.csv`)
    assert.equal(csv.status(), 200)
    assert.match(await csv.text(), /seq,at,type/)
    const edit = await page.request.post(`${server.url}/admin/clients/${systems['230102']}/suspend`, { form: { csrf: 'x' } })
    assert.equal(edit.status(), 403)
    await page.click('nav button[type=submit]')
    await page.waitForURL(`${server.url}/admin/signed-out`)
    const after = await page.goto(`${server.url}/admin/audit`)
    assert.match(after!.url(), /\/auth|\/interaction/)
    assert.deepEqual(cspViolations, [])
    await page.context().close()
  })

  it('draws the dashboard as inline SVG for a county administrator', async () => {
    const { page, cspViolations } = await signIn(county)
    await page.click('nav a[href="/admin/dashboard"]')
    assert.equal(await page.locator('svg.chart').count(), 6)
    const box = await page.locator('svg.chart').first().boundingBox()
    assert.ok(box && box.width > 100)
    assert.deepEqual(cspViolations, [])
    await page.context().close()
  })
})
