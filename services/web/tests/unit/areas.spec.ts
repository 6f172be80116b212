// Every page of every area (src/areas/*) is wired right: its title and menu
// group have texts in both languages, and the permission it names is one an
// operation of the API requires, so the menu and the API agree.
import { describe, expect, it } from 'vitest'
import type { RouteRecordRaw } from 'vue-router'
import { operationPermissions } from '@/api/permissions.gen'
import { portalMessages } from '@/i18n'
import { menuGroups, routes } from '@/router/routes'

function all(rs: readonly RouteRecordRaw[]): RouteRecordRaw[] {
  return rs.flatMap((r) => [r, ...all(r.children ?? [])])
}

function has(messages: object, key: string): boolean {
  const v = key.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], messages)
  return typeof v === 'string' && v !== ''
}

describe('areas', () => {
  const pages = all(routes).filter((r) => r.meta)
  const permissions = new Set<string>(Object.values(operationPermissions))

  it('give every page a title in both languages', () => {
    for (const r of pages) {
      expect(has(portalMessages['zh-CN'], r.meta!.title), `${r.path}: ${r.meta!.title}`).toBe(true)
      expect(has(portalMessages.en, r.meta!.title), `${r.path}: ${r.meta!.title}`).toBe(true)
    }
  })

  it('name only permissions the API requires', () => {
    for (const r of pages.filter((p) => p.meta!.permission)) {
      expect(permissions.has(r.meta!.permission!), `${r.path}: ${r.meta!.permission}`).toBe(true)
    }
  })

  it('put pages only in declared menu groups that have texts', () => {
    for (const r of pages.filter((p) => p.meta!.menu?.group)) {
      const g = r.meta!.menu!.group!
      expect(menuGroups[g], `${r.path}: group ${g}`).toBeDefined()
      expect(has(portalMessages['zh-CN'], g) && has(portalMessages.en, g), `group ${g} texts`).toBe(true)
    }
  })

  it('keep the catch-all last', () => {
    const frame = routes.find((r) => r.path === '/')!
    expect(frame.children!.at(-1)!.name).toBe('not-found')
  })
})
