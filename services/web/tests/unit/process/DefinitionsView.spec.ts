// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import DefinitionsView from '@/areas/process/DefinitionsView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const editor = { ...alice, roles: ['sysadmin'], permissions: perm('registry:read', 'registry:write', 'identity.departments:read') }
const reader = { ...alice, roles: ['clerk'], permissions: perm('registry:read') }

const item = {
  code: 'establishment', name: '企业开办', kind: 'registration', department: 'market', legalBasis: 'x', timeLimitDays: 1,
  materials: [], currentVersion: 1, updatedAt: '2026-11-01T00:00:00Z',
}
const v1 = {
  item: 'establishment', version: 1, digest: 'ab'.repeat(32), issuance: 'unified', createdAt: '2026-11-01T00:00:00Z', createdBy: 'seed',
  steps: [
    { key: 'licence', department: 'market', limitSeconds: 28800, outputs: ['business-licence'] },
    { key: 'seal', department: 'seal', limitSeconds: 14400, dependsOn: ['licence'], inputs: ['business-licence'] },
    { key: 'tax', department: 'tax', limitSeconds: 14400, dependsOn: ['licence'] },
  ],
}
const departments = {
  items: ['market', 'seal', 'tax'].map((code) => ({ code, name: `${code}局`, kind: 'department', disabled: false, createdAt: '2026-11-01T00:00:00Z' })),
}

async function open(me: typeof alice, extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/items/establishment': () => jsonResponse(200, item),
    'GET /api/v1/items/establishment/definitions': () => jsonResponse(200, { items: [v1] }),
    'GET /api/v1/departments': () => jsonResponse(200, departments),
    ...extra,
  })
  const session = (await import('@/auth/session'))
  const page = await mountPage(DefinitionsView, { path: '/process/items/establishment', auth: fakeAuth({ me: async () => me }), fetch: api.fetch })
  await session.useSession().ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

describe('DefinitionsView', { timeout: 20_000 }, () => {
  it('lists the versions and shows the current one read-only, as a graph and a table', async () => {
    const { wrapper } = await open(editor)
    await vi.waitFor(() => expect(wrapper.text()).toContain('版本 v1'))
    expect(wrapper.text()).toContain('只读')
    expect(wrapper.findAll('[data-step]')).toHaveLength(3)
    expect(wrapper.findAll('[data-edge]').map((e) => e.attributes('data-edge'))).toEqual(['licence>seal', 'licence>tax'])
    // Nothing to draw with in a read-only version.
    expect(wrapper.findAll('circle.handle')).toHaveLength(0)
    expect(wrapper.text()).toContain('统一发证')
    expect(wrapper.find('.steps-table').text()).toContain('business-licence')
  })

  it('offers no editing without registry:write', async () => {
    const { wrapper } = await open(reader)
    await vi.waitFor(() => expect(wrapper.text()).toContain('版本 v1'))
    expect(wrapper.text()).not.toContain('新建版本')
    expect(wrapper.text()).not.toContain('从空白新建')
  })

  it('edits a new version from the current one, shows a cycle before saving, and saves the fixed graph', async () => {
    const v2 = { ...v1, version: 2 }
    const { wrapper, api } = await open(editor, {
      'POST /api/v1/items/establishment/definitions': () => jsonResponse(201, v2),
    })
    await vi.waitFor(() => expect(wrapper.text()).toContain('基于 v1 新建版本'))
    await wrapper.findAll('button').find((b) => b.text() === '基于 v1 新建版本')!.trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('校验通过')
    // Drag from tax's handle onto licence: a cycle licence → tax → licence.
    const handle = wrapper.find('[data-key="tax"] circle.handle')
    await handle.trigger('pointerdown')
    await wrapper.find('[data-key="licence"]').trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('位于循环中')
    // licence and tax on the cycle, seal behind it: it could never start.
    expect(wrapper.findAll('.node.bad')).toHaveLength(3)
    expect(wrapper.text()).toContain('步骤 seal 永远无法开始')
    const save = wrapper.findAll('button').find((b) => b.text() === '保存为新版本')!
    expect(save.attributes('disabled')).toBeDefined()
    // Remove the edge by keyboard.
    await wrapper.find('[data-edge="tax>licence"]').trigger('keydown', { key: 'Delete' })
    await flushPromises()
    expect(wrapper.text()).toContain('校验通过')
    await save.trigger('click')
    await flushPromises()
    const posted = api.calls.find((c) => c.key === 'POST /api/v1/items/establishment/definitions')!.body as { steps: { key: string; dependsOn?: string[] }[]; issuance: string }
    expect(posted.issuance).toBe('unified')
    expect(posted.steps.map((s) => `${s.key}<${(s.dependsOn ?? []).join('+')}`)).toEqual(['licence<', 'seal<licence', 'tax<licence'])
  })

  it('shows a step without department on the graph and keeps saving off; the API refusal lands at its step', async () => {
    const { wrapper } = await open(editor, {
      'POST /api/v1/items/establishment/definitions': () =>
        problemResponse(400, { type: 'urn:kaiban:problem:invalid', errors: [{ in: 'body', field: '/steps/1/department', detail: 'unknown department "seal"' }] }),
    })
    await vi.waitFor(() => expect(wrapper.text()).toContain('基于 v1 新建版本'))
    await wrapper.findAll('button').find((b) => b.text() === '基于 v1 新建版本')!.trigger('click')
    await flushPromises()
    await wrapper.findAll('button').find((b) => b.text() === '添加步骤')!.trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('未选择办理部门')
    expect(wrapper.findAll('.node.bad')).toHaveLength(1)
    await wrapper.findAll('button').find((b) => b.text() === '删除所选步骤')!.trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('校验通过')
    await wrapper.findAll('button').find((b) => b.text() === '保存为新版本')!.trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('平台拒绝：unknown department "seal"')
    expect(wrapper.find('[data-key="seal"]').classes()).toContain('bad')
  })
})
