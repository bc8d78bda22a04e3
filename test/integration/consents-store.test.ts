/*
 * Remembered consent in the store (src/store/consents.ts), on the suite's database: `remember`
 * only ever adds to what a person allowed a portal, keeps the earlier scopes first, and loses
 * nothing when consents for one person and portal are given at the same moment.
 */
import assert from 'node:assert/strict'
import { migrateLatest } from '../../src/store/db.js'
import { createConsentStore, type ConsentStore } from '../../src/store/consents.js'
import { useTestDb } from '../helpers/database.js'

describe('remembered consent store', () => {
  const env = useTestDb()
  let consents: ConsentStore
  let clock = 1_800_000_000_000

  before(async () => {
    await migrateLatest(env.db)
    consents = createConsentStore(env.db, () => clock)
  })

  it('stores a first consent as given, without repeats', async () => {
    await consents.remember('p1', 'portal-a', { scopes: ['openid', 'profile', 'openid'], claims: ['acr', 'acr'] })
    assert.deepEqual(await consents.find('p1', 'portal-a'), { scopes: ['openid', 'profile'], claims: ['acr'] })
    const [record] = await consents.list('p1')
    assert.equal(record.grantedAt, clock)
    assert.equal(record.updatedAt, clock)
  })

  it('adds a later consent to the earlier one, earlier scopes first, and keeps the first grant time', async () => {
    const firstAt = clock
    clock += 60_000
    await consents.remember('p1', 'portal-a', { scopes: ['phone', 'openid'], claims: ['txn', 'acr'] })
    assert.deepEqual(await consents.find('p1', 'portal-a'), { scopes: ['openid', 'profile', 'phone'], claims: ['acr', 'txn'] })
    const [record] = await consents.list('p1')
    assert.equal(record.grantedAt, firstAt, 'granted_at stays that of the first consent')
    assert.equal(record.updatedAt, clock)
    // Asking again for nothing new changes no scope.
    await consents.remember('p1', 'portal-a', { scopes: ['openid'], claims: [] })
    assert.deepEqual(await consents.find('p1', 'portal-a'), { scopes: ['openid', 'profile', 'phone'], claims: ['acr', 'txn'] })
  })

  it('keeps every scope of 12 consents given at the same moment', async () => {
    const scopes = Array.from({ length: 12 }, (_, i) => `scope${i}`)
    await Promise.all(scopes.map((scope) => consents.remember('p2', 'portal-b', { scopes: ['openid', scope], claims: [`claim-${scope}`] })))
    const found = await consents.find('p2', 'portal-b')
    assert.deepEqual([...found!.scopes].sort(), ['openid', ...scopes].sort())
    assert.deepEqual([...found!.claims].sort(), scopes.map((s) => `claim-${s}`).sort())
  })

  it('keeps one person and portal apart from another', async () => {
    assert.equal(await consents.find('p1', 'portal-b'), undefined)
    assert.equal(await consents.find('p2', 'portal-a'), undefined)
  })
})
