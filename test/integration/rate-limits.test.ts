/*
 * Rate limits over the database's shared counters (src/accounts/rate-limiter.ts over
 * src/store/rate-limits.ts), on the suite's database: a subject's hits in this window and the
 * previous one count, older ones do not, concurrent reservations never pass the limit together,
 * and a released reservation gives its place back.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createRateLimiter } from '../../src/accounts/index.js'
import { createRateLimitStore } from '../../src/store/rate-limits.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import { createTestDatabase, testConfig, type TestDatabase } from '../helpers/onedoor.js'

const WINDOW_SECONDS = 60

describe('rate limits over shared counters', () => {
  let database: TestDatabase
  let db: Db
  // At the start of a window, so that a few seconds' steps stay inside it.
  let now = Math.ceil(Date.now() / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000
  const clock = () => now

  before(async () => {
    database = createTestDatabase()
    db = createDb(testConfig(database, 3000).db)
    await migrateLatest(db)
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  const limiter = (limit: number) => createRateLimiter({ store: createRateLimitStore(db, clock), hashKey: randomBytes(32), now: clock }, { name: `test-${limit}`, limit, windowSeconds: WINDOW_SECONDS })

  it('counts reservations in this window and the previous one, not older ones', async () => {
    const limit = limiter(3)
    const over = async () => (await limit.reserve('subject-a')).over
    assert.deepEqual([await over(), await over()], [false, false])
    now += WINDOW_SECONDS * 1000 // the next window: the two above are now the previous window's
    assert.equal(await over(), false, '1 here + 2 before = 3, the limit')
    assert.equal(await over(), true, '2 here + 2 before')
    assert.equal(await limit.count('subject-a'), 4)
    now += WINDOW_SECONDS * 1000 // two windows on: only the last window's 2 count
    assert.equal(await limit.count('subject-a'), 2)
    assert.equal(await over(), false, '1 here + 2 before')
    assert.equal(await over(), true)
    now += 2 * WINDOW_SECONDS * 1000
    assert.equal(await over(), false, 'all earlier windows forgotten')
    assert.equal(await limit.count('subject-b'), 0, 'subjects are counted apart')
  })

  it('counts hits the same way, and gives a released reservation its place back', async () => {
    const limit = limiter(2)
    assert.deepEqual([await limit.hit('s'), await limit.hit('s'), await limit.hit('s')], [false, false, true])
    now += WINDOW_SECONDS * 1000
    const reservation = await limit.reserve('s')
    assert.equal(reservation.over, true, '1 here + 3 before')
    await reservation.release()
    assert.equal(await limit.count('s'), 3, 'the refused attempt is taken back')
  })

  it('lets exactly `limit` of 12 concurrent reservations through', async () => {
    const limit = limiter(5)
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => limit.reserve('parallel')))
    assert.equal(outcomes.filter((r) => !r.over).length, 5)
    assert.equal(await limit.count('parallel'), 12)
  })
})
