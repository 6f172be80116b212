// The three administrators (三员) each get their own pages of the process
// and isv areas in the menu, with the permissions the migrations give
// them (00401, 00750): the menu is built from the routes exactly as the
// signed-in frame builds it.
import { describe, expect, it } from 'vitest'
import { buildMenu } from '@/router/menu'
import { routes } from '@/router/routes'

const roles: Record<string, string[]> = {
  sysadmin: [
    'identity.departments:read', 'identity.departments:write', 'identity.positions:read', 'identity.positions:write',
    'identity.users:read', 'identity.users:write', 'identity.users:reset-password', 'identity.roles:read',
    'identity.clients:read', 'identity.clients:apply', 'identity.clients:issue', 'registry:read', 'registry:write',
  ],
  secadmin: [
    'identity.departments:read', 'identity.positions:read', 'identity.users:read', 'identity.users:unlock',
    'identity.roles:read', 'identity.roles:write', 'identity.role-assignments:write', 'identity.clients:read',
    'identity.clients:review', 'identity.clients:revoke',
  ],
  auditadmin: ['audit.log:read', 'audit.log:verify', 'audit.anchors:read'],
  clerk: ['intake:read', 'intake:write', 'registry:read'],
}
const mine = ['/process/items', '/isv/clients', '/admin/positions', '/audit/records']

function pages(role: string): string[] {
  const held = new Set(roles[role])
  const menu = buildMenu(routes, (p) => !p || held.has(p))
  return menu.flatMap((e) => (e.children ?? [e]).map((c) => c.key)).filter((k) => mine.includes(k))
}

describe('administrators’ menus', () => {
  it('give the system administrator the item list, onboarding and positions, not the audit log', () => {
    expect(pages('sysadmin').sort()).toEqual(['/admin/positions', '/isv/clients', '/process/items'])
  })
  it('give the security administrator onboarding (review, revoke) and positions to read, not the registry or the audit log', () => {
    expect(pages('secadmin').sort()).toEqual(['/admin/positions', '/isv/clients'])
  })
  it('give the audit administrator the audit log only', () => {
    expect(pages('auditadmin')).toEqual(['/audit/records'])
  })
  it('give a clerk, who may read the registry, none of them', () => {
    expect(pages('clerk')).toEqual([])
  })
})
