// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import UsersView from '@/views/admin/UsersView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from './helpers'

const users = {
  items: [
    {
      id: 'u1', login: 'wang', name: '王**', department: 'amr', positions: [], roles: ['clerk'],
      disabled: false, mustChangePassword: true, totpEnabled: false, createdAt: '2026-11-01T08:00:00Z',
    },
    {
      id: 'u2', login: 'li', name: '李**', department: 'operator', positions: [], roles: ['sysadmin'],
      disabled: false, mustChangePassword: false, totpEnabled: true, createdAt: '2026-11-02T08:00:00Z',
      lockedUntil: '2999-01-01T00:00:00Z',
    },
  ],
}
const roles = {
  items: [
    { name: 'sysadmin', title: '系统管理员', builtin: true, adminKind: 'system', permissions: [] },
    { name: 'secadmin', title: '安全管理员', builtin: true, adminKind: 'security', permissions: [] },
    { name: 'clerk', title: '窗口人员', builtin: false, permissions: [] },
  ],
}
const departments = { items: [{ code: 'amr', name: '市场监管局', kind: 'department', disabled: false, createdAt: '2026-11-01T00:00:00Z' }] }

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const reader = { ...alice, permissions: perm('identity.users:read') }
const secadmin = {
  ...alice,
  permissions: perm('identity.users:read', 'identity.roles:read', 'identity.departments:read', 'identity.role-assignments:write', 'identity.users:unlock'),
}

async function open(me: typeof alice, extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/users': () => jsonResponse(200, users),
    'GET /api/v1/roles': () => jsonResponse(200, roles),
    'GET /api/v1/departments': () => jsonResponse(200, departments),
    ...extra,
  })
  const page = await mountPage(UsersView, { path: '/admin/users', auth: fakeAuth({ me: async () => me }), fetch: api.fetch })
  const session = (await import('@/auth/session')).useSession()
  await session.ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

describe('UsersView', () => {
  it('lists users with names as the API masks them, and their state', async () => {
    const { wrapper } = await open(secadmin)
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(2))
    const first = wrapper.findAll('.el-table__row')[0]!.text()
    expect(first).toContain('wang')
    expect(first).toContain('王**')
    expect(first).toContain('窗口人员')
    expect(first).toContain('待改密')
    const second = wrapper.findAll('.el-table__row')[1]!.text()
    expect(second).toContain('系统管理员')
    expect(second).toContain('已锁定')
    expect(second).toContain('解锁')
  })

  it('shows only the buttons the permissions allow', async () => {
    const { wrapper, api } = await open(reader)
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(2))
    expect(wrapper.text()).not.toContain('新增人员')
    expect(wrapper.text()).not.toContain('分配角色')
    expect(wrapper.text()).not.toContain('解锁')
    // Without the permission to list roles and departments, they are not asked for.
    expect(api.calls.map((c) => c.key)).toEqual(['GET /api/v1/users'])
  })

  it('shows the separation-of-duties refusal of a role assignment', async () => {
    const { wrapper, api } = await open(secadmin, {
      'PUT /api/v1/users/u2/roles/secadmin': () =>
        problemResponse(409, {
          type: 'urn:kaiban:problem:conflict',
          detail: 'separation of duties: one user may hold only one of the system, security and audit administrator roles',
          requestId: 'r-9',
        }),
    })
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(2))
    const assign = wrapper.findAll('.el-table__row')[1]!.findAll('button').find((b) => b.text() === '分配角色')!
    await assign.trigger('click')
    await flushPromises()
    const vm = wrapper.vm as unknown as { assignRoleName: string; assign: () => Promise<void> }
    vm.assignRoleName = 'secadmin'
    await vm.assign()
    await flushPromises()
    expect(api.calls.map((c) => c.key)).toContain('PUT /api/v1/users/u2/roles/secadmin')
    await vi.waitFor(() => expect(document.body.textContent).toContain('separation of duties'))
    expect(document.body.textContent).toContain('请求编号：r-9')
  })

  it('puts the API field errors of a new user next to the fields', async () => {
    const { wrapper } = await open({ ...secadmin, permissions: [...secadmin.permissions, ...perm('identity.users:write')] }, {
      'POST /api/v1/users': () =>
        problemResponse(400, {
          type: 'urn:kaiban:problem:invalid',
          errors: [{ in: 'body', field: '/password', detail: 'must contain three of lower, upper, digits, other' }],
        }),
    })
    const vm = wrapper.vm as unknown as { addModel: Record<string, string>; addUser: () => Promise<void>; adding: boolean }
    vm.adding = true
    Object.assign(vm.addModel, { login: 'zhao', name: '赵六', department: 'amr', password: 'aaaaaaaaaaaa' })
    await flushPromises()
    await vm.addUser()
    await flushPromises()
    const field = () =>
      [...document.querySelectorAll('.el-dialog .el-form-item')].find((e) => e.querySelector('label')?.textContent?.includes('初始密码'))
    await vi.waitFor(() =>
      expect(field()?.querySelector('.el-form-item__error')?.textContent).toContain('must contain three of lower, upper, digits, other'),
    )
  })
})
