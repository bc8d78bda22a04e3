/*
 * The oidc-provider adapter over knex, as a contract on the suite's database (SQLite or
 * PostgreSQL): expiry on every row, lookups by uid / user code, revocation by grant, an atomic
 * consume, and the cleanup of expired rows (issue 2, Storage).
 */
import assert from 'node:assert/strict'
import { createAdapterClass, deleteExpiredPayloads, GROUPED_TOKEN_LOOKUPS } from '../../src/store/oidc-adapter.js'
import { createDb, migrateLatest, type Db } from '../../src/store/db.js'
import type { ClientStore } from '../../src/store/clients.js'
import { createTestDatabase, testConfig, testDbKind, type TestDatabase } from '../helpers/onedoor.js'
import { createPersonStore } from '../../src/store/persons.js'
import { createEnterpriseStore } from '../../src/store/enterprises.js'
import { statementPool } from '../../src/store/db.js'

class ConsumeConflict extends Error {}

describe('oidc-provider adapter', () => {
  let database: TestDatabase
  let db: Db
  let now = Date.now()
  let Adapter: ReturnType<typeof createAdapterClass>

  before(async () => {
    database = createTestDatabase()
    db = createDb(testConfig(database, 3000).db)
    await migrateLatest(db)
    const clients = { findMetadata: async (id: string) => ({ client_id: id }) } as unknown as ClientStore
    Adapter = createAdapterClass({
      db,
      clients,
      now: () => now,
      onConsumeConflict: (model) => {
        throw new ConsumeConflict(model)
      },
    })
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it('stores and finds a payload, and replaces it on a second upsert', async () => {
    const codes = new Adapter('AuthorizationCode')
    await codes.upsert('code-1', { grantId: 'g1', accountId: 'a1', scope: 'openid' }, 60)
    assert.deepEqual(await codes.find('code-1'), { grantId: 'g1', accountId: 'a1', scope: 'openid' })
    await codes.upsert('code-1', { grantId: 'g1', accountId: 'a1', scope: 'openid profile' }, 60)
    assert.equal((await codes.find('code-1'))?.scope, 'openid profile')
    assert.equal(await new Adapter('AccessToken').find('code-1'), undefined, 'models do not see each other')
  })

  it('stores an expiry for every row and hides expired rows', async () => {
    const sessions = new Adapter('Session')
    await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'a1' }, 30)
    const row = await db('oidc_payloads').where({ type: 'Session', id: 's-1' }).first()
    assert.equal(Number(row.expires_at), now + 30_000)
    assert.ok(await sessions.find('s-1'))
    now += 31_000
    assert.equal(await sessions.find('s-1'), undefined)
    assert.equal(await sessions.findByUid('uid-1'), undefined)
  })

  it('finds by uid and by user code', async () => {
    const sessions = new Adapter('Session')
    await sessions.upsert('s-2', { uid: 'uid-2', accountId: 'a2' }, 600)
    assert.equal((await sessions.findByUid('uid-2'))?.accountId, 'a2')
    const devices = new Adapter('DeviceCode')
    await devices.upsert('d-1', { userCode: 'ABCD-EFGH', grantId: 'g9' }, 600)
    assert.equal((await devices.findByUserCode('ABCD-EFGH'))?.grantId, 'g9')
    assert.equal(await devices.findByUserCode('NOPE-NOPE'), undefined)
  })

  it('consumes once: the payload shows when, and a second consume is refused', async () => {
    const codes = new Adapter('AuthorizationCode')
    await codes.upsert('code-2', { grantId: 'g2' }, 60)
    await codes.consume('code-2')
    const found = await codes.find('code-2')
    assert.equal(typeof found?.consumed, 'number')
    await assert.rejects(codes.consume('code-2'), ConsumeConflict)
  })

  it('lets exactly one of 20 concurrent consumes succeed', async () => {
    const tokens = new Adapter('RefreshToken')
    await tokens.upsert('rt-race', { grantId: 'g3' }, 600)
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => new Adapter('RefreshToken').consume('rt-race')))
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConsumeConflict, String(r.reason))
  })

  it('revokes by grant id within one model only', async () => {
    const access = new Adapter('AccessToken')
    const refresh = new Adapter('RefreshToken')
    await access.upsert('at-a', { grantId: 'g-revoke' }, 600)
    await access.upsert('at-b', { grantId: 'g-keep' }, 600)
    await refresh.upsert('rt-a', { grantId: 'g-revoke' }, 600)
    await access.revokeByGrantId('g-revoke')
    assert.equal(await access.find('at-a'), undefined)
    assert.ok(await access.find('at-b'))
    assert.ok(await refresh.find('rt-a'), 'another model keeps its rows until revoked itself')
    const grants = new Adapter('Grant')
    await grants.upsert('g-revoke', { accountId: 'a1' }, 600)
    await grants.revokeByGrantId('g-revoke')
    assert.equal(await grants.find('g-revoke'), undefined, 'a grant is its own grant id')
  })

  it('answers a token looked up as three models at once under its own model only, consumed state included', async () => {
    // Introspection without a type hint asks for all three in one go (one statement on PostgreSQL).
    const models = ['AccessToken', 'ClientCredentials', 'RefreshToken'].map((name) => new Adapter(name))
    await models[2].upsert('rt-any', { grantId: 'g-any', accountId: 'a1' }, 60)
    await models[0].upsert('at-any', { grantId: 'g-any', accountId: 'a1' }, 60)
    const found = await Promise.all(models.map((m) => m.find('rt-any')))
    assert.deepEqual(found, [undefined, undefined, { grantId: 'g-any', accountId: 'a1' }])
    assert.deepEqual(await Promise.all(models.map((m) => m.find('at-any'))), [{ grantId: 'g-any', accountId: 'a1' }, undefined, undefined])
    await models[2].consume('rt-any')
    const [, , after] = await Promise.all(models.map((m) => m.find('rt-any')))
    assert.equal(after?.consumed, Math.floor(now / 1000), 'a look-up after the consume sees it')
    assert.deepEqual(await Promise.all([models[0].find('nope'), models[1].find('nope'), models[2].find('nope')]), [undefined, undefined, undefined])
  })

  it('destroys a row', async () => {
    const interactions = new Adapter('Interaction')
    await interactions.upsert('i-1', { uid: 'i-1' }, 600)
    await interactions.destroy('i-1')
    assert.equal(await interactions.find('i-1'), undefined)
  })

  it('cleans up expired rows only', async () => {
    const replay = new Adapter('ReplayDetection')
    await replay.upsert('r-old', {}, 1)
    await replay.upsert('r-new', {}, 3600)
    now += 2000
    const deleted = await deleteExpiredPayloads(db, now)
    assert.ok(deleted >= 1)
    assert.equal(await db('oidc_payloads').where({ type: 'ReplayDetection', id: 'r-old' }).first(), undefined)
    assert.ok(await db('oidc_payloads').where({ type: 'ReplayDetection', id: 'r-new' }).first())
  })

  it('reads clients from the clients table, not from the payload table', async () => {
    assert.deepEqual(await new Adapter('Client').find('some-client'), { client_id: 'some-client' })
  })

  // Upserts of one turn are written together (PostgreSQL: one multi-row statement; SQLite: one
  // group commit): each caller must still get its own outcome, and the last write of a row wins.
  it('writes concurrent upserts together: each is stored, a repeated row keeps its last payload, a bad row fails alone', async () => {
    const tokens = new Adapter('AccessToken')
    const writes = Array.from({ length: 20 }, (_, i) => tokens.upsert(`at-many-${i}`, { grantId: `g-many-${i % 3}`, n: i }, 600))
    assert.deepEqual((await Promise.allSettled(writes)).map((r) => r.status), Array(20).fill('fulfilled'))
    for (let i = 0; i < 20; i += 1) assert.equal((await tokens.find(`at-many-${i}`))?.n, i)

    const withBad = [tokens.upsert('at-good-1', { n: 1 }, 600), tokens.upsert(null as unknown as string, { n: -1 }, 600), tokens.upsert('at-good-2', { n: 2 }, 600)]
    assert.deepEqual((await Promise.allSettled(withBad)).map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'], 'a row without an id is refused alone')
    assert.equal((await tokens.find('at-good-2'))?.n, 2)

    await Promise.all([tokens.upsert('at-twice', { n: 1 }, 600), tokens.upsert('at-other', { n: 0 }, 600), tokens.upsert('at-twice', { n: 2 }, 600)])
    assert.equal((await tokens.find('at-twice'))?.n, 2, 'the later of two writes of one row wins')
    await tokens.revokeByGrantId('g-many-1')
    assert.equal(await tokens.find('at-many-1'), undefined)
    assert.ok(await tokens.find('at-many-2'))
  })

  // Upserts asked for while a grouped statement is on its way form the next one (PostgreSQL):
  // they must all land, and a row written in two successive batches must keep the later payload
  // (two statements in flight on two pool connections could commit in either order).
  it('writes upserts asked for during a write in the next one, each row ending with its last payload', async () => {
    const tokens = new Adapter('AccessToken')
    const writes: Promise<void>[] = []
    for (let round = 0; round < 10; round += 1) {
      writes.push(tokens.upsert('at-rounds', { n: round }, 600))
      for (let i = 0; i < 3; i += 1) writes.push(tokens.upsert(`at-round-${round}-${i}`, { n: round * 10 + i }, 600))
      await new Promise((resolve) => setImmediate(resolve)) // the next turn: an earlier batch may still be on its way
    }
    assert.deepEqual((await Promise.allSettled(writes)).map((r) => r.status), Array(40).fill('fulfilled'))
    assert.equal((await tokens.find('at-rounds'))?.n, 9, 'the last of ten writes of one row, in ten batches, wins')
    for (let round = 0; round < 10; round += 1) {
      for (let i = 0; i < 3; i += 1) assert.equal((await tokens.find(`at-round-${round}-${i}`))?.n, round * 10 + i)
    }
  })

  // On PostgreSQL a token's lookup also reads its grant and session (one round trip instead of
  // three); what the provider then gets must be what the database holds.
  it("gives a token's grant and session as stored, also when they were read with the token", async () => {
    const grants = new Adapter('Grant')
    const sessions = new Adapter('Session')
    const refresh = new Adapter('RefreshToken')
    await grants.upsert('g-rel', { accountId: 'a-rel', clientId: 'c1' }, 600)
    await sessions.upsert('s-rel', { uid: 'uid-rel', accountId: 'a-rel' }, 600)
    await refresh.upsert('rt-rel', { grantId: 'g-rel', sessionUid: 'uid-rel', accountId: 'a-rel' }, 600)

    assert.equal((await refresh.find('rt-rel'))?.grantId, 'g-rel')
    assert.equal((await grants.find('g-rel'))?.clientId, 'c1')
    assert.equal((await sessions.findByUid('uid-rel'))?.accountId, 'a-rel')

    await refresh.find('rt-rel')
    await grants.upsert('g-rel', { accountId: 'a-rel', clientId: 'c2' }, 600)
    assert.equal((await grants.find('g-rel'))?.clientId, 'c2', 'a write after the token was read is seen')

    await grants.destroy('g-rel')
    await sessions.destroy('s-rel')
    assert.ok(await refresh.find('rt-rel'))
    assert.equal(await grants.find('g-rel'), undefined, 'a revoked grant is absent')
    assert.equal(await sessions.findByUid('uid-rel'), undefined, 'an ended session is absent')

    await sessions.upsert('s-rel', { uid: 'uid-rel', accountId: 'a-rel' }, 5)
    assert.ok(await new Adapter('AuthorizationCode').find('none') === undefined)
    await refresh.find('rt-rel')
    now += 6000
    assert.equal(await sessions.findByUid('uid-rel'), undefined, 'an expired session read with the token stays hidden')
    assert.equal(await refresh.find('missing'), undefined)
  })

  // On PostgreSQL a token's lookup also reads the person it is for and its grant's acting record,
  // for findAccount right after (read-along.ts): only the step holding that token may take them,
  // only for the same person or grant, once, and for at most a second.
  it('gives the person and acting record read with a token as stored, to that token only', async () => {
    const persons = createPersonStore(db)
    const enterprises = createEnterpriseStore(db)
    const person = { id: 'p-along', name: '张三', idNumberSealed: 'sealed', idNumberIndex: 'index-along', idNumberMasked: '2301**********0011', phone: '13900000011', passwordHash: '', assuranceLevel: 2, createdAt: now, updatedAt: now, disabledAt: null, documentType: 'resident_id', phoneVerifiedAt: null, closedAt: null, passwordChangedAt: null, passwordPolicy: 'person' }
    assert.equal(await persons.insert(person), true)
    await enterprises.recordActingGrant({ grantId: 'g-along', personId: 'p-along', clientId: 'c-along', enterpriseId: 'e-along', createdAt: now })
    const refresh = new Adapter('RefreshToken')
    await refresh.upsert('rt-along', { grantId: 'g-along', accountId: 'p-along' }, 600)
    await refresh.upsert('rt-self', { grantId: 'g-self', accountId: 'p-along' }, 600)
    const token = { kind: 'RefreshToken', jti: 'rt-along' }
    const statements = countStatements(db)

    await refresh.find('rt-along')
    const before = statements.count()
    const personRead = await persons.findByIdReadWith('p-along', token)
    assert.deepEqual(await enterprises.findActingGrant('g-along', token), { personId: 'p-along', clientId: 'c-along', enterpriseId: 'e-along' })
    if (db.client.config.client === 'pg') assert.equal(statements.count(), before, 'on PostgreSQL both came with the token')
    assert.deepEqual(personRead, await persons.findById('p-along'))

    await refresh.find('rt-self')
    assert.equal(await enterprises.findActingGrant('g-self', { kind: 'RefreshToken', jti: 'rt-self' }), undefined, 'a grant acting for nobody')
    await refresh.find('rt-along')
    assert.equal(await persons.findByIdReadWith('p-other', token), undefined, 'another person is looked up, not taken from the token')
    assert.equal(await enterprises.findActingGrant('g-along', { kind: 'AccessToken', jti: 'rt-along' }).then((g) => g?.enterpriseId), 'e-along')

    await refresh.find('rt-along')
    await db('persons').where({ id: 'p-along' }).update({ name: '李四' })
    await refresh.find('rt-along')
    assert.equal((await persons.findByIdReadWith('p-along', token))?.name, '李四', 'a later request reads its token, and the person, again')

    // Rows nobody asked for (a request that failed first) are not handed out after a second.
    await refresh.find('rt-along')
    await db('acting_grants').where({ grant_id: 'g-along' }).delete()
    await new Promise((resolve) => setTimeout(resolve, 1100))
    assert.equal(await enterprises.findActingGrant('g-along', token), undefined)
    statements.stop()
  })

  // On PostgreSQL the token look-ups of concurrent requests go out as one statement
  // (grouped-lookups.ts): each must still get its own row, grant and session, and nobody else's.
  it('answers concurrent token look-ups each with its own row, grant and session, in few statements on PostgreSQL', async () => {
    const grants = new Adapter('Grant')
    const sessions = new Adapter('Session')
    const refresh = new Adapter('RefreshToken')
    const access = new Adapter('AccessToken')
    for (let i = 0; i < 12; i += 1) {
      await grants.upsert(`g-con-${i}`, { accountId: `a-con-${i}`, clientId: `c-con-${i}` }, 600)
      await sessions.upsert(`s-con-${i}`, { uid: `uid-con-${i}`, accountId: `a-con-${i}` }, 600)
      await refresh.upsert(`rt-con-${i}`, { grantId: `g-con-${i}`, sessionUid: `uid-con-${i}`, accountId: `a-con-${i}`, n: i }, 600)
      await access.upsert(`at-con-${i}`, { grantId: `g-con-${i}`, accountId: `a-con-${i}`, n: i }, 600)
    }
    await refresh.upsert('rt-con-expired', { grantId: 'g-con-0', n: -1 }, 1)
    now += 2000
    const statements = countStatements(db)

    // A refresh each: the token, then (from what came with it on PostgreSQL) its grant and session.
    const refreshes = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const token = await refresh.find(`rt-con-${i}`)
      return { n: token?.n, grant: (await grants.find(String(token?.grantId)))?.clientId, session: (await sessions.findByUid(String(token?.sessionUid)))?.accountId }
    }))
    assert.deepEqual(refreshes, Array.from({ length: 12 }, (_, i) => ({ n: i, grant: `c-con-${i}`, session: `a-con-${i}` })))
    const refreshStatements = statements.count()

    // Introspections without a type hint, mixed with absent and expired tokens.
    const models = ['AccessToken', 'ClientCredentials', 'RefreshToken'].map((name) => new Adapter(name))
    const presented = [...Array.from({ length: 12 }, (_, i) => `at-con-${i}`), 'rt-con-3', 'rt-con-expired', 'nope-con']
    const introspected = await Promise.all(presented.map(async (id) => (await Promise.all(models.map((m) => m.find(id)))).map((p) => p?.n ?? null)))
    assert.deepEqual(introspected, [...Array.from({ length: 12 }, (_, i) => [i, null, null]), [null, null, 3], [null, null, null], [null, null, null]])
    if (db.client.config.client === 'pg') {
      assert.ok(refreshStatements <= 2, `12 concurrent refresh look-ups took ${refreshStatements} statements`)
      assert.ok(statements.count() - refreshStatements <= 2, `15 concurrent introspections took ${statements.count() - refreshStatements} statements`)
    }
    statements.stop()
  })

  // The (type, account_id) index once served `type = ? and uid = ?` on SQLite with only its
  // first column usable: every refresh scanned all sessions (migration 20261128500000).
  it('plans each look-up on its own index, not a scan of every row of a type', async () => {
    const plans: [string, unknown[], string][] = [
      ['select payload from oidc_payloads where type = ? and uid = ? limit 1', ['Session', 'u'], 'oidc_payloads_uid_index'],
      ['select payload from oidc_payloads where type = ? and user_code = ? limit 1', ['DeviceCode', 'c'], 'oidc_payloads_user_code_index'],
      ['delete from oidc_payloads where type = ? and grant_id = ?', ['AccessToken', 'g'], 'oidc_payloads_grant_id_index'],
      ['select id from oidc_payloads where grant_id in (?, ?)', ['g1', 'g2'], 'oidc_payloads_grant_id_index'],
      ['select id from oidc_payloads where type = ? and account_id = ?', ['Session', 'a'], 'oidc_payloads_type_account_id_index'],
      ['select payload from oidc_payloads where type = ? and id = ? limit 1', ['RefreshToken', 't'], db.client.config.client === 'pg' ? 'oidc_payloads_pkey' : 'sqlite_autoindex_oidc_payloads_1'],
    ]
    for (const [sql, bindings, index] of plans) {
      const plan = await explain(sql, bindings)
      assert.ok(plan.includes(index), `${sql}\nexpected ${index}, planned:\n${plan}`)
    }
  })

  // The grouped look-ups (`id = any($n)`) run as named prepared statements, so PostgreSQL soon
  // plans them once for any ids: that generic plan must still probe the primary key by id, not
  // read every token of a type. Planned over enough rows (added and rolled back) for the
  // planner to see what a running service's table looks like; a near-empty one plans anything.
  // SQLite never runs them (one statement per look-up, planned in the test above).
  if (testDbKind() === 'pg') it('plans the grouped token look-ups as primary-key probes by id, also as generic plans', async () => {
    const trx = await db.transaction()
    try {
      for (const type of ['AccessToken', 'ClientCredentials', 'RefreshToken']) {
        await trx.raw(`insert into oidc_payloads (type, id, payload, grant_id, expires_at) select ?, 'plan-' || g, '{}', 'g-plan-' || (g % 500), 9999999999999 from generate_series(1, 5000) g`, [type])
      }
      await trx.raw('analyze oidc_payloads')
      await trx.raw('set local plan_cache_mode = force_generic_plan')
      const runs: [string, string, string][] = [
        ['withRelated', '(text, text[])', "('RefreshToken', array['plan-1', 'plan-2'])"],
        ['anyTypeWithRelated', '(text[])', "(array['plan-1', 'plan-2'])"],
      ]
      for (const [name, types, args] of runs) {
        await trx.raw(`prepare grouped_plan_check ${types} as ${GROUPED_TOKEN_LOOKUPS[name as keyof typeof GROUPED_TOKEN_LOOKUPS].pgSql}`)
        const result = await trx.raw(`explain execute grouped_plan_check ${args}`)
        await trx.raw('deallocate grouped_plan_check')
        const plan = (result.rows as Record<string, string>[]).map((r) => r['QUERY PLAN']).join('\n')
        assert.match(plan, /Index Scan using oidc_payloads_pkey on oidc_payloads t\b.*\n\s*Index Cond: .*\(id\)::text = ANY \(\$\d\)/, `${name} planned:\n${plan}`)
      }
    } finally {
      await trx.rollback()
    }
  })

  /** The plan as text; on PostgreSQL with sequential scans priced out, as on a large table. */
  async function explain(sql: string, bindings: unknown[]): Promise<string> {
    if (db.client.config.client !== 'pg') {
      const rows = (await db.raw(`explain query plan ${sql}`, bindings as never[])) as { detail: string }[]
      return rows.map((r) => r.detail).join('\n')
    }
    return db.transaction(async (trx) => {
      await trx.raw('set local enable_seqscan = off')
      const result = await trx.raw(`explain ${sql}`, bindings as never[])
      return (result.rows as Record<string, string>[]).map((r) => r['QUERY PLAN']).join('\n')
    })
  }
})

/** Statements sent through fast-sql's PostgreSQL pool from now on (none on SQLite). */
function countStatements(db: Db): { count(): number; stop(): void } {
  if (db.client.config.client !== 'pg') return { count: () => 0, stop: () => undefined }
  const pool = statementPool(db)
  const query = pool.query.bind(pool)
  let n = 0
  pool.query = ((...args: Parameters<typeof query>) => {
    n += 1
    return query(...args)
  }) as typeof pool.query
  return { count: () => n, stop: () => void (pool.query = query) }
}
