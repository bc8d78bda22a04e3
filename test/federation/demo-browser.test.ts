/*
 * The demo as a newcomer sees it, in headless Chromium: OneDoor with the federation synced and
 * the demo portal host (the same startDemo as `npm run demo`, limited to a few Harbin systems).
 * One sign-in at the Harbin portal reaches five county portals without credentials; one logout
 * leaves them all, each having received a valid back-channel logout token; with portals down
 * the logout still finishes within its bound, and queued tokens arrive when they come back.
 */
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../helpers/browser.js'
import { portalKey, startDemo, type Demo } from '../../src/demo/start-demo.js'
import { createTestDatabase, freePort, testConfig, type TestDatabase } from '../helpers/onedoor.js'

const HARBIN = '230100'
const COUNTIES = ['230102', '230103', '230104', '230108', '230109']
const OUTAGE = ['230110', '230111'] // 香坊区 (hangs), 呼兰区 (down)
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

describe('demo portals in a browser: one login reaches every portal, one logout leaves them all', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let demo: Demo
  let browser: Browser

  before(async () => {
    database = createTestDatabase()
    const port = await freePort()
    const portalPort = await freePort()
    const config = testConfig(database, port, { backchannelLogout: { timeoutMs: 10_000, userWaitMs: 500, retry: { intervalSeconds: 3600 } } })
    demo = await startDemo({
      config,
      portalPublicUrl: `http://127.0.0.1:${portalPort}`,
      portalPort,
      hostname: '127.0.0.1',
      only: (system) => [HARBIN, ...COUNTIES, ...OUTAGE].includes(portalKey(system)),
    })
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
    await demo?.close()
    await database?.drop()
  })

  const portalUrl = (key: string) => `${demo.portalUrl}/portals/${key}/`

  async function stateOf(page: Page, key: string): Promise<string> {
    await page.goto(portalUrl(key))
    return (await page.locator('[data-state]').getAttribute('data-state')) ?? ''
  }

  /** Opens the Harbin portal, signs in there with the demo person's credentials. */
  async function signInAtHarbin(page: Page): Promise<void> {
    assert.equal(await stateOf(page, HARBIN), 'signed-out')
    await page.getByTestId('sign-in').click()
    await page.locator('input[name=identifier]').fill(demo.person.idNumber)
    await page.locator('input[name=password]').fill(demo.person.password)
    await page.locator('form[action$="/login"] button[type=submit]').click()
    await page.waitForURL(portalUrl(HARBIN))
    assert.equal(await page.locator('[data-state]').getAttribute('data-state'), 'signed-in')
    assert.equal(await page.getByTestId('person').textContent(), demo.person.name)
  }

  /** Signs out at a portal and confirms on OneDoor's logout page; resolves when back at the portal. */
  async function signOutAt(page: Page, key: string): Promise<void> {
    await page.goto(portalUrl(key))
    await page.getByTestId('sign-out').click()
    await page.locator('button[name=logout][value=yes]').click()
    await page.waitForURL(portalUrl(key))
  }

  it('signs in at Harbin, opens five county portals without credentials, logs out at one and all are signed out', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const visited: string[] = []
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url())
    })
    await signInAtHarbin(page)
    assert.match(await page.getByTestId('portal-name').textContent() ?? '', /哈尔滨市/)
    assert.match(await page.getByTestId('division').textContent() ?? '', /黑龙江省 › 哈尔滨市 \(230100\)/)

    visited.length = 0
    for (const key of COUNTIES) {
      assert.equal(await stateOf(page, key), 'signed-in', `${key} is signed in through OneDoor's session`)
      assert.equal(await page.getByTestId('person').textContent(), demo.person.name)
      assert.match(await page.getByTestId('division').textContent() ?? '', new RegExp(`哈尔滨市 › .+ \\(${key}\\)`))
    }
    assert.ok(!visited.some((url) => url.includes('/interaction/')), 'no OneDoor page was shown: no credentials asked')

    await signOutAt(page, COUNTIES[2])
    assert.equal(await page.locator('[data-state]').getAttribute('data-state'), 'signed-out')
    await demo.onedoor.logout.drain()

    for (const key of [HARBIN, ...COUNTIES]) {
      const tokens = demo.host.received.filter((r) => r.portalKey === key)
      // The portal where the logout started ended its own session first; every other one by its token.
      assert.equal(tokens.length, 1, `${key} received one logout token`)
      const [token] = tokens
      assert.equal(String(token.header.typ).toLowerCase(), 'logout+jwt')
      assert.deepEqual(token.claims.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} })
      assert.equal(typeof token.claims.sid, 'string')
      assert.equal(typeof token.claims.sub, 'string')
      assert.equal('nonce' in token.claims, false)
      assert.equal(token.ended, key === COUNTIES[2] ? 0 : 1, `${key}'s local session ended by the token`)
    }
    for (const key of [HARBIN, ...COUNTIES]) assert.equal(await stateOf(page, key), 'signed-out', `${key} shows signed out`)
    await context.close()
  })

  it('finishes the logout while portals hang or are down; their tokens arrive when they come back', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signInAtHarbin(page)
    for (const key of OUTAGE) assert.equal(await stateOf(page, key), 'signed-in')
    const [hanging, down] = OUTAGE
    demo.host.setBackchannelMode(hanging, 'hang')
    demo.host.setBackchannelMode(down, 'down')
    const before = demo.host.received.length

    await signOutAt(page, HARBIN)
    assert.equal(await page.locator('[data-state]').getAttribute('data-state'), 'signed-out')
    assert.equal(demo.host.held(), 1, 'the logout finished while a portal still held its token unanswered')

    demo.host.setBackchannelMode(hanging, 'up') // answers the held request
    await demo.onedoor.logout.drain()
    const queued = (await demo.onedoor.logout.deliveries({ accountId: demo.person.id, status: 'pending' })).map((d) => d.clientId)
    assert.deepEqual(queued, [demo.portals.find((p) => p.key === down)!.clientId], 'the unreachable portal is queued')
    assert.equal(await stateOf(page, down), 'signed-in', 'the unreachable portal does not know yet')

    demo.host.setBackchannelMode(down, 'up')
    const run = await demo.onedoor.logout.runRetries({ now: Date.now() + 3_600_000 })
    assert.equal(run.delivered, 1)
    const arrived = demo.host.received.slice(before).map((r) => r.portalKey)
    assert.deepEqual(arrived.sort(), [HARBIN, ...OUTAGE].sort(), 'the portal signed out from, then the two that were unavailable')
    for (const key of OUTAGE) assert.equal(await stateOf(page, key), 'signed-out', `${key} shows signed out`)
    await context.close()
  })
})
