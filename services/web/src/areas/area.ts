// An area is one part of the portal that one role works in (the front
// desk, the applicant's locker, a department's workbench, supervision,
// administration, …). Each lives in its own folder, src/areas/<name>/, with
//
//   routes.ts   export default defineArea({ routes, publicRoutes?, groups? })
//   i18n.ts     export default defineMessages({ ns: {...} }, { ns: {...} })
//   *.vue       its views and components
//
// and the router and i18n pick every folder up by themselves
// (import.meta.glob), so adding an area edits no shared file. Its unit tests
// go in tests/unit/<name>/ and its browser checks in e2e/checks/.
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'

/** A menu group: an i18n key, its icon and its place in the menu. */
export interface MenuGroup {
  icon: Component
  order: number
}

export interface Area {
  /** Pages inside the signed-in frame (children of the app layout). */
  routes?: RouteRecordRaw[]
  /** Pages shown without signing in, outside the frame. */
  publicRoutes?: RouteRecordRaw[]
  /** Menu groups the area's pages sit in, by i18n key. */
  groups?: Record<string, MenuGroup>
}

/** defineArea declares an area's pages; it only gives the object its type. */
export function defineArea(area: Area): Area {
  return area
}

/** An area's texts in both languages: top-level keys are its namespaces. */
export interface AreaMessages<T extends Record<string, object>> {
  'zh-CN': T
  en: T
}

/**
 * defineMessages pairs an area's Chinese texts with their English ones. The
 * English must have exactly the keys of the Chinese (the type check fails
 * otherwise, and tests/unit/i18n.spec.ts checks none is empty).
 */
export function defineMessages<T extends Record<string, object>>(zhCN: T, en: NoInfer<T>): AreaMessages<T> {
  return { 'zh-CN': zhCN, en }
}
