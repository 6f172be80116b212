import { describe, expect, it } from 'vitest'
import { defineComponent } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import { House, User } from '@element-plus/icons-vue'
import { allows } from '@/auth/permissions'
import { buildMenu } from '@/router/menu'
import { operationPermissions } from '@/api/permissions.gen'

describe('allows', () => {
  it('matches exactly or through "*"', () => {
    const g = [
      { resource: 'identity.users', action: 'read' },
      { resource: 'audit.log', action: '*' },
    ]
    expect(allows(g, 'identity.users:read')).toBe(true)
    expect(allows(g, 'identity.users:write')).toBe(false)
    expect(allows(g, 'audit.log:verify')).toBe(true)
    expect(allows(g, 'identity.roles:read')).toBe(false)
    expect(allows([{ resource: '*', action: 'read' }], 'identity.roles:read')).toBe(true)
    expect(allows([], 'identity.roles:read')).toBe(false)
  })
})

describe('buildMenu', () => {
  const page = defineComponent({ render: () => null })
  const routes: RouteRecordRaw[] = [
    {
      path: '/',
      component: page,
      meta: { title: 'root' },
      children: [
        { path: '', component: page, meta: { title: 'nav.home', menu: { icon: House, order: 0 } } },
        {
          path: 'admin/users',
          component: page,
          meta: { title: 'users', permission: 'identity.users:read', menu: { icon: User, group: 'nav.admin', order: 2 } },
        },
        {
          path: 'admin/roles',
          component: page,
          meta: { title: 'roles', permission: 'identity.roles:read', menu: { icon: User, group: 'nav.admin', order: 1 } },
        },
        { path: 'hidden', component: page, meta: { title: 'no menu' } },
      ],
    },
  ]

  it('shows only what the user may use, grouped and ordered', () => {
    const all = buildMenu(routes, () => true)
    expect(all.map((m) => m.key)).toEqual(['/', 'nav.admin'])
    expect(all[1]!.children!.map((c) => c.key)).toEqual(['/admin/roles', '/admin/users'])

    const usersOnly = buildMenu(routes, (p) => !p || p === 'identity.users:read')
    expect(usersOnly[1]!.children!.map((c) => c.key)).toEqual(['/admin/users'])
  })

  it('leaves out a group with nothing the user may use', () => {
    expect(buildMenu(routes, (p) => !p).map((m) => m.key)).toEqual(['/'])
  })
})

describe('operation permissions', () => {
  it('come from the contract', () => {
    expect(operationPermissions.listUsers).toBe('identity.users:read')
    expect(operationPermissions.assignRole).toBe('identity.role-assignments:write')
  })
})
