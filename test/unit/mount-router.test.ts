/*
 * Routers behind a check of the path's first segment (src/http/mount-router.ts): a router sees
 * the requests under its segments exactly as before (its middleware, its routes, its 405s, its
 * case-insensitive matching), and never runs for any other request.
 */
import assert from 'node:assert/strict'
import Router from '@koa/router'
import Koa from 'koa'
import request from 'supertest'
import { mountRouter } from '../../src/http/mount-router.js'

/** An app with `routers` mounted, then a last middleware that says whether any router ran. */
function appWith(...routers: Router[]): Koa {
  const app = new Koa()
  for (const router of routers) mountRouter(app, router)
  app.use((ctx) => {
    ctx.status = 200
    // @koa/router sets ctx.matched (an empty list when nothing matched) whenever it runs.
    ctx.body = { reachedEnd: true, routerRan: (ctx as { matched?: unknown }).matched !== undefined }
  })
  return app
}

describe('mounting a router behind its first path segment', () => {
  const seenByMiddleware: string[] = []
  const things = new Router({ prefix: '/things' })
  things.use(async (ctx, next) => {
    seenByMiddleware.push(ctx.path)
    await next()
  })
  things.get('/:id', (ctx) => {
    ctx.body = { thing: ctx.params.id }
  })
  const privacy = new Router()
  privacy.get('/privacy', (ctx) => {
    ctx.body = { page: 'privacy' }
  })
  const app = appWith(things, privacy).callback()

  beforeEach(() => {
    seenByMiddleware.length = 0
  })

  it('serves its routes and runs its router-wide middleware for them', async () => {
    const response = await request(app).get('/things/7').expect(200)
    assert.deepEqual(response.body, { thing: '7' })
    assert.deepEqual(seenByMiddleware, ['/things/7'])
    assert.deepEqual((await request(app).get('/privacy').expect(200)).body, { page: 'privacy' })
  })

  it('matches without regard to case, as @koa/router does by default', async () => {
    assert.deepEqual((await request(app).get('/THINGS/8').expect(200)).body, { thing: '8' })
  })

  it('still answers a wrong method with 405 and Allow', async () => {
    // allowedMethods answers only what nothing after it answered, so no catch-all here.
    const bare = new Koa()
    mountRouter(bare, things)
    const response = await request(bare.callback()).post('/things/7').expect(405)
    assert.equal(response.headers.allow, 'HEAD, GET')
  })

  it('never runs a router for a request outside its segments', async () => {
    for (const path of ['/auth', '/thingsandmore/1', '/', '/auth/things/1']) {
      const response = await request(app).get(path).expect(200)
      assert.deepEqual(response.body, { reachedEnd: true, routerRan: false }, path)
    }
    assert.deepEqual(seenByMiddleware, [])
  })

  it('mounts a router whose first segment is a parameter as it is', async () => {
    const bySlug = new Router()
    bySlug.get('/:slug', (ctx) => {
      ctx.body = { slug: ctx.params.slug }
    })
    const open = appWith(bySlug).callback()
    assert.deepEqual((await request(open).get('/anything').expect(200)).body, { slug: 'anything' })
    assert.deepEqual((await request(open).get('/a/b').expect(200)).body, { reachedEnd: true, routerRan: true })
  })
})
