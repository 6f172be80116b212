// Languages of the portal: Chinese by default, English on request. The
// choice is kept in the browser and sets <html lang>, Element Plus's own
// texts and the dates it formats.
import { createI18n } from 'vue-i18n'
import en from './en'
import zhCN from './zh-CN'

export const locales = ['zh-CN', 'en'] as const
export type Locale = (typeof locales)[number]

const storageKey = 'kaiban.locale'

function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (locales as readonly string[]).includes(v)
}

/** savedLocale is the language chosen before in this browser, else Chinese. */
export function savedLocale(): Locale {
  try {
    const v = localStorage.getItem(storageKey)
    if (isLocale(v)) return v
  } catch {
    // storage disabled: the default
  }
  return 'zh-CN'
}

const datetimeFormats = {
  short: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' },
} as const

export function createPortalI18n(locale: Locale = savedLocale()) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages: { 'zh-CN': zhCN, en },
    datetimeFormats: { 'zh-CN': datetimeFormats, en: datetimeFormats },
  })
}

/** rememberLocale marks the page with the language and keeps the choice. */
export function rememberLocale(locale: string): void {
  document.documentElement.lang = locale
  try {
    localStorage.setItem(storageKey, locale)
  } catch {
    // not remembered; still switched
  }
}
