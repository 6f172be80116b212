// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import ItemsView from '@/areas/process/ItemsView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const sysadmin = { ...alice, roles: ['sysadmin'], permissions: perm('registry:read', 'registry:write', 'identity.departments:read') }
const establishment = {
  code: 'establishment', name: '企业开办', kind: 'registration', department: 'market', legalBasis: '条例', timeLimitDays: 1,
  materials: [{ code: 'id-card', name: '身份证明', required: true, departments: ['market'] }], currentVersion: 2, updatedAt: '2026-11-01T00:00:00Z',
}
const departments = { items: [{ code: 'market', name: '市场监管局', kind: 'department', disabled: false, createdAt: '2026-11-01T00:00:00Z' }] }

async function open(extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/items': () => jsonResponse(200, { items: [establishment] }),
    'GET /api/v1/departments': () => jsonResponse(200, departments),
    ...extra,
  })
  const page = await mountPage(ItemsView, { path: '/process/items', auth: fakeAuth({ me: async () => sysadmin }), fetch: api.fetch })
  await (await import('@/auth/session')).useSession().ensureLoaded()
  await flushPromises()
  await vi.waitFor(() => expect(page.wrapper.findAll('.el-table__row')).toHaveLength(1))
  return { ...page, api }
}

describe('ItemsView', { timeout: 20_000 }, () => {
  it('lists the items with their department, kind and current process version', async () => {
    const { wrapper } = await open()
    const row = wrapper.find('.el-table__row').text()
    expect(row).toContain('企业开办')
    expect(row).toContain('登记')
    expect(row).toContain('市场监管局')
    expect(row).toContain('v2')
    expect(wrapper.find('a[href="/process/items/establishment"]').exists()).toBe(true)
  })

  it('puts an edited item whole, and shows the API refusal next to its field', async () => {
    let n = 0
    const { wrapper, api } = await open({
      'PUT /api/v1/items/establishment': () =>
        n++ === 0
          ? problemResponse(400, { type: 'urn:kaiban:problem:invalid', errors: [{ in: 'body', field: '/legalBasis', detail: 'too long' }] })
          : jsonResponse(200, establishment),
    })
    await wrapper.findAll('button').find((b) => b.text() === '编辑')!.trigger('click')
    await flushPromises()
    document.querySelector('.el-dialog form')!.dispatchEvent(new Event('submit', { cancelable: true }))
    await vi.waitFor(() => expect(document.querySelector('.el-dialog')!.textContent).toContain('too long'))
    const body = api.calls.find((c) => c.key === 'PUT /api/v1/items/establishment')!.body as Record<string, unknown>
    expect(body).toEqual({
      name: '企业开办', kind: 'registration', department: 'market', legalBasis: '条例', timeLimitDays: 1,
      materials: [{ code: 'id-card', name: '身份证明', required: true, departments: ['market'] }],
    })
  })
})
