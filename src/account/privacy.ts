/* The privacy notice (个人信息保护告知), linked from registration; a plain page in zh-CN and en. */
import Router from '@koa/router'
import type { Renderer } from '../http/render.js'

export function privacyRoutes(renderer: Renderer): Router {
  const router = new Router()
  router.get('/privacy', (ctx) => {
    const locale = renderer.localeFor(ctx)
    renderer.render(ctx, locale === 'en' ? 'privacy-en' : 'privacy-zh', { locale, title: renderer.translator(locale)('identity.privacy.title') })
  })
  return router
}
