// The menu of a user: the routes with meta.menu that the user may use,
// grouped and ordered. A group with no entry the user may use is left out.
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import { menuGroups } from './routes'

export interface MenuEntry {
  /** Route path, for a page; the group's key, for a group. */
  key: string
  title: string
  icon: Component
  children?: MenuEntry[]
}

function flatten(routes: readonly RouteRecordRaw[], base = ''): { path: string; r: RouteRecordRaw }[] {
  return routes.flatMap((r) => {
    const path = r.path.startsWith('/') ? r.path : `${base.replace(/\/$/, '')}/${r.path}`
    return [{ path: path || '/', r }, ...flatten(r.children ?? [], path)]
  })
}

/** buildMenu lists the menu entries of routes for which can(permission) holds. */
export function buildMenu(routes: readonly RouteRecordRaw[], can: (permission?: string) => boolean): MenuEntry[] {
  const top: (MenuEntry & { order: number })[] = []
  const groups = new Map<string, (MenuEntry & { order: number })[]>()
  for (const { path, r } of flatten(routes)) {
    const m = r.meta?.menu
    if (!m || !r.meta || !can(r.meta.permission)) continue
    const entry = { key: path, title: r.meta.title, icon: m.icon, order: m.order }
    if (m.group) {
      groups.set(m.group, [...(groups.get(m.group) ?? []), entry])
    } else {
      top.push(entry)
    }
  }
  for (const [key, entries] of groups) {
    const g = menuGroups[key]
    if (!g) throw new Error(`menu group ${key} is not declared in menuGroups`)
    entries.sort((a, b) => a.order - b.order)
    top.push({ key, title: key, icon: g.icon, order: g.order, children: entries.map(({ order: _, ...e }) => e) })
  }
  top.sort((a, b) => a.order - b.order)
  return top.map(({ order: _, ...e }) => e)
}
