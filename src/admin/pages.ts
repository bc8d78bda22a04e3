/*
 * Console page rendering: views/admin/*.eta inside the console layout (wider than the sign-in
 * card, same stylesheet plus /admin/assets/admin.css), with the request's language (zh-CN default, en).
 */
import { Eta } from 'eta'
import type { Context } from 'koa'
import { VIEWS_DIR, type Renderer } from '../http/render.js'

export type AdminPages = ReturnType<typeof createAdminPages>

export function createAdminPages(renderer: Renderer) {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true })
  return {
    locale: (ctx: Context) => renderer.localeFor(ctx),
    translator: (ctx: Context) => renderer.translator(renderer.localeFor(ctx)),
    render(ctx: Context, template: string, data: Record<string, unknown>) {
      const locale = renderer.localeFor(ctx)
      const t = renderer.translator(locale)
      const body = eta.render(`admin/${template}`, { ...data, t, locale })
      ctx.type = 'html'
      ctx.set('cache-control', 'no-store')
      ctx.body = eta.render('admin/layout', { ...data, t, locale, title: t(`admin.titles.${template}`), body })
    },
  }
}
