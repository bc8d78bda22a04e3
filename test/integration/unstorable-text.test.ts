/*
 * Text PostgreSQL cannot hold (a NUL character) that reaches a statement through a route without
 * its own check: the HTTP layer answers 400 invalid_request (src/http/errors.ts), not 500. SQLite
 * holds such text, so there the statement simply runs.
 */
import assert from 'node:assert/strict'
import Koa from 'koa'
import request from 'supertest'
import { errorHandler } from '../../src/http/errors.js'
import { createRenderer } from '../../src/http/render.js'
import { createDb, type Db } from '../../src/store/db.js'
import { isConnectionError, isUnstorableText } from '../../src/store/errors.js'
import { createTestDatabase, testConfig, testDbKind, type TestDatabase } from '../helpers/onedoor.js'

describe('text the database cannot hold', () => {
  let database: TestDatabase
  let db: Db
  before(async () => {
    database = createTestDatabase()
    db = createDb(testConfig(database, 3000).db)
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it(`answers a NUL character in a statement's text ${testDbKind() === 'pg' ? 'with 400 invalid_request' : 'by running the statement'}`, async () => {
    const app = new Koa()
    app.use(errorHandler(await createRenderer(), { isUnavailable: isConnectionError, isBadInput: isUnstorableText }))
    app.use(async (ctx) => {
      const rows = (await db.raw(testDbKind() === 'pg' ? 'select ?::text as v' : 'select ? as v', [String(ctx.query.q)])) as { rows?: { v: string }[] } & { v: string }[]
      ctx.body = { v: (rows.rows ?? rows)[0].v }
    })
    const res = await request(app.callback()).get('/?q=a%00b').set('accept', 'application/json')
    if (testDbKind() === 'pg') {
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error, 'invalid_request')
      assert.doesNotMatch(JSON.stringify(res.body), /22021|UTF8|0x00/, 'no database internals in the answer')
    } else {
      assert.equal(res.status, 200)
      assert.equal(res.body.v, 'a\u0000b')
    }
    const plain = await request(app.callback()).get('/?q=ab').set('accept', 'application/json')
    assert.deepEqual([plain.status, plain.body.v], [200, 'ab'])
  })
})
