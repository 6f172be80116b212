// Languages of the portal: Chinese by default, English on request. The
// choice is kept in the browser and sets <html lang>, Element Plus's own
// texts and the dates it formats.
//
// The core texts are in zh-CN.ts and en.ts; each area of the portal adds
// its own namespaces from src/areas/<area>/i18n.ts.
import { createI18n } from 'vue-i18n'
import { areaMessages } from '@/areas'
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

type Messages = Record<string, object>

/**
 * mergeMessages puts the areas' namespaces beside the core ones. Two parts
 * claiming one namespace is a programming error, found at start.
 */
export function mergeMessages(core: Messages, parts: Messages[]): Messages {
  const all: Messages = { ...core }
  for (const part of parts) {
    for (const [ns, texts] of Object.entries(part)) {
      if (ns in all) throw new Error(`i18n namespace "${ns}" is defined twice`)
      all[ns] = texts
    }
  }
  return all
}

/** portalMessages is every text of the portal, by language. */
export const portalMessages = {
  'zh-CN': mergeMessages(
    zhCN,
    areaMessages.map((m) => m['zh-CN']),
  ),
  en: mergeMessages(
    en,
    areaMessages.map((m) => m.en),
  ),
}

export function createPortalI18n(locale: Locale = savedLocale()) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages: portalMessages,
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
