// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import en from '@/i18n/en'
import zhCN from '@/i18n/zh-CN'
import { createPortalI18n, rememberLocale, savedLocale } from '@/i18n'

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

describe('i18n', () => {
  it('defaults to Chinese', () => {
    localStorage.clear()
    expect(savedLocale()).toBe('zh-CN')
    expect(createPortalI18n().global.t('login.submit')).toBe('登录')
  })

  it('remembers English when chosen, and marks the page', () => {
    rememberLocale('en')
    expect(savedLocale()).toBe('en')
    expect(document.documentElement.lang).toBe('en')
    expect(createPortalI18n().global.t('login.submit')).toBe('Sign in')
    localStorage.clear()
  })

  it('has the same texts in both languages, none empty', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
    for (const k of keys(zhCN)) {
      const get = (o: object) => k.split('.').reduce<unknown>((v, p) => (v as Record<string, unknown>)[p], o)
      expect(get(zhCN), k).not.toBe('')
      expect(get(en), k).not.toBe('')
    }
  })
})
