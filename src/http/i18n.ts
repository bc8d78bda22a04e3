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
  const translators = new Map(SUPPORTED_LOCALES.map((locale) => [locale, memoised(instance.getFixedT(locale))]))
  return {
    translator(locale: Locale): TFunction {
      return translators.get(locale) ?? instance.getFixedT(locale)
    },
  }
}

/** Distinct plain keys remembered per language; far more than the pages use, and a bound on odd keys. */
const MAX_REMEMBERED_KEYS = 2000

/**
 * Every page render looks up dozens of labels, and i18next resolves each one afresh (fallbacks,
 * nesting, post-processing): a noticeable share of a sign-in's CPU. The resources never change
 * while the process runs, so a plain key (no options, no interpolation) always translates to the
 * same text and is remembered; calls with options go straight to i18next.
 */
function memoised(t: TFunction): TFunction {
  const remembered = new Map<string, unknown>()
  const lookup = (...args: unknown[]): unknown => {
    const [key] = args
    if (args.length !== 1 || typeof key !== 'string') return (t as unknown as (...a: unknown[]) => unknown)(...args)
    if (remembered.has(key)) return remembered.get(key)
    const text = (t as unknown as (k: string) => unknown)(key)
    if (remembered.size < MAX_REMEMBERED_KEYS) remembered.set(key, text)
    return text
  }
  return Object.assign(lookup, t) as unknown as TFunction
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
