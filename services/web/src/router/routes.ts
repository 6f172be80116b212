// The portal's pages. Each page that needs a permission names it in
// meta.permission: the menu leaves out what the user may not use, and the
// layout shows the no-permission state instead of the page if they open it
// anyway (the API refuses its calls regardless). A page in the menu names
// its group and icon in meta.menu.
//
// Adding a view: an entry in its area's routes.ts (src/areas/<area>/, see
// src/areas/area.ts; the core pages are here), its texts in the area's
// i18n.ts, and its API calls typed by schema.gen.ts.
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import { House, OfficeBuilding, Setting, User, UserFilled } from '@element-plus/icons-vue'
import { operationPermissions as ops } from '@/api/permissions.gen'
import type { MenuGroup } from '@/areas/area'
import { areas } from '@/areas'

export interface MenuMeta {
  /** Icon component (from @element-plus/icons-vue). */
  icon: Component
  /** i18n key of the group the entry sits in; none for a top-level entry. */
  group?: string
  order: number
}

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title. */
    title: string
    /** Shown without signing in. */
    public?: boolean
    /** The permission ("resource:action") the page needs. */
    permission?: string
    menu?: MenuMeta
  }
}

/** Menu groups: i18n key and icon; the areas add theirs. */
export const menuGroups: Record<string, MenuGroup> = { 'nav.admin': { icon: Setting, order: 90 } }
for (const a of areas) {
  for (const [key, g] of Object.entries(a.groups ?? {})) {
    if (menuGroups[key] && menuGroups[key] !== g) throw new Error(`menu group ${key} is declared twice`)
    menuGroups[key] = g
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/LoginView.vue'),
    meta: { title: 'login.title', public: true },
  },
  {
    path: '/verify',
    name: 'verify',
    component: () => import('@/views/VerifyView.vue'),
    meta: { title: 'verify.title', public: true },
  },
  ...areas.flatMap((a) => a.publicRoutes ?? []),
  {
    path: '/',
    component: () => import('@/layouts/AppLayout.vue'),
    meta: { title: 'app.title' },
    children: [
      {
        path: '',
        name: 'home',
        component: () => import('@/views/HomeView.vue'),
        meta: { title: 'nav.home', menu: { icon: House, order: 0 } },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('@/views/admin/UsersView.vue'),
        meta: { title: 'admin.users', permission: ops.listUsers, menu: { icon: User, group: 'nav.admin', order: 10 } },
      },
      {
        path: 'admin/roles',
        name: 'admin-roles',
        component: () => import('@/views/admin/RolesView.vue'),
        meta: { title: 'admin.roles', permission: ops.listRoles, menu: { icon: UserFilled, group: 'nav.admin', order: 20 } },
      },
      {
        path: 'admin/departments',
        name: 'admin-departments',
        component: () => import('@/views/admin/DepartmentsView.vue'),
        meta: {
          title: 'admin.departments',
          permission: ops.listDepartments,
          menu: { icon: OfficeBuilding, group: 'nav.admin', order: 30 },
        },
      },
      {
        path: 'password',
        name: 'password',
        component: () => import('@/views/PasswordView.vue'),
        meta: { title: 'password.title' },
      },
      ...areas.flatMap((a) => a.routes ?? []),
      // Last: the catch-all.
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { title: 'state.notFoundTitle' },
      },
    ],
  },
]
