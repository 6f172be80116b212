// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import PositionsView from '@/areas/isv/PositionsView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const positions = { items: [{ id: '22222222-2222-4222-8222-222222222222', department: 'market', code: 'registrar', name: '登记审核岗', createdAt: '2026-11-01T00:00:00Z' }] }

async function open(me: typeof alice) {
  const api = fakeApi({
    'GET /api/v1/positions': () => jsonResponse(200, positions),
    'GET /api/v1/departments': () => jsonResponse(200, { items: [{ code: 'market', name: '市场监管局', kind: 'department', disabled: false, createdAt: '2026-11-01T00:00:00Z' }] }),
  })
  const page = await mountPage(PositionsView, { path: '/admin/positions', auth: fakeAuth({ me: async () => me }), fetch: api.fetch })
  await (await import('@/auth/session')).useSession().ensureLoaded()
  await flushPromises()
  await vi.waitFor(() => expect(page.wrapper.findAll('.el-table__row')).toHaveLength(1))
  return { ...page, api }
}

describe('PositionsView', { timeout: 20_000 }, () => {
  it('lists positions by department; the system administrator may add and delete', async () => {
    const { wrapper } = await open({ ...alice, permissions: perm('identity.positions:read', 'identity.positions:write', 'identity.departments:read') })
    expect(wrapper.find('.el-table__row').text()).toContain('市场监管局')
    expect(wrapper.find('.el-table__row').text()).toContain('登记审核岗')
    expect(wrapper.text()).toContain('新增岗位')
    expect(wrapper.find('button[aria-label="删除岗位 登记审核岗"]').exists()).toBe(true)
  })

  it('shows a reader no buttons', async () => {
    const { wrapper, api } = await open({ ...alice, permissions: perm('identity.positions:read') })
    expect(wrapper.text()).not.toContain('新增岗位')
    expect(wrapper.find('button[aria-label="删除岗位 登记审核岗"]').exists()).toBe(false)
    expect(api.calls.map((c) => c.key)).toEqual(['GET /api/v1/positions'])
  })
})
