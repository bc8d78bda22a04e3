/*
 * Page text in Simplified Chinese (default) and English, from views/locales/*.json through
 * i18next. The language is chosen from ui_locales (OIDC), then Accept-Language.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import i18next, { type TFunction } from 'i18next'

export const SUPPORTED_LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof SUPPORTED_LOCALES)[number]
export const DEFAULT_LOCALE: Locale = 'zh-CN'

export async function createI18n(viewsDir: string) {
  const resources: Record<string, { translation: Record<string, unknown> }> = {}
  for (const locale of SUPPORTED_LOCALES) {
    resources[locale] = { translation: JSON.parse(readFileSync(path.join(viewsDir, 'locales', `${locale}.json`), 'utf8')) }
  }
  const instance = i18next.createInstance()
  await instance.init({ resources, fallbackLng: DEFAULT_LOCALE, supportedLngs: [...SUPPORTED_LOCALES], interpolation: { escapeValue: false }, initImmediate: false } as never)
  return {
    translator(locale: Locale): TFunction {
      return instance.getFixedT(locale)
    },
  }
}

export type I18n = Awaited<ReturnType<typeof createI18n>>

/** Picks the first supported language of a space-separated ui_locales list, then of Accept-Language. */
export function pickLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  const candidates = [
    ...(uiLocales ?? '').split(' '),
    ...(acceptLanguage ?? '').split(',').map((part) => part.split(';')[0]),
  ]
  for (const raw of candidates) {
    const tag = raw.trim().toLowerCase()
    if (!tag) continue
    if (tag.startsWith('zh')) return 'zh-CN'
    if (tag.startsWith('en')) return 'en'
  }
  return DEFAULT_LOCALE
}
