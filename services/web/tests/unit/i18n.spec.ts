// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { createPortalI18n, mergeMessages, portalMessages, rememberLocale, savedLocale } from '@/i18n'

const { 'zh-CN': zhCN, en } = portalMessages

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

  it('refuses two parts claiming one namespace', () => {
    expect(() => mergeMessages({ a: {} }, [{ b: {} }, { a: {} }])).toThrow(/"a" is defined twice/)
  })

  it('has the same texts in both languages, none empty, the areas included', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
    for (const k of keys(zhCN)) {
      const get = (o: object) => k.split('.').reduce<unknown>((v, p) => (v as Record<string, unknown>)[p], o)
      expect(get(zhCN), k).not.toBe('')
      expect(get(en), k).not.toBe('')
    }
  })
})
