/* Server-rendered pages: Eta templates from views/, with the request's translator and CSP-safe assets. */
import path from 'node:path'
import { Eta } from 'eta'
import type { Context } from 'koa'
import { PROJECT_ROOT } from '../config/index.js'
import { createI18n, pickLocale, type I18n, type Locale } from './i18n.js'

export const VIEWS_DIR = path.join(PROJECT_ROOT, 'views')

export type Renderer = Awaited<ReturnType<typeof createRenderer>>

export async function createRenderer() {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true })
  const i18n: I18n = await createI18n(VIEWS_DIR)

  return { render, localeFor, translator: i18n.translator }

  function localeFor(ctx: Context, uiLocales?: string): Locale {
    const fromQuery = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined
    return pickLocale(uiLocales ?? fromQuery, ctx.get('accept-language'))
  }

  /** Renders `views/<template>.eta` inside the layout; sets no-store, since pages carry session state. */
  function render(ctx: Context, template: string, data: Record<string, unknown> & { locale?: Locale; title?: string }) {
    const locale = data.locale ?? localeFor(ctx)
    const t = i18n.translator(locale)
    const body = eta.render(template, { ...data, t, locale })
    ctx.type = 'html'
    ctx.set('cache-control', 'no-store')
    ctx.body = eta.render('layout', { t, locale, title: data.title ?? t('app.name'), body })
  }
}
