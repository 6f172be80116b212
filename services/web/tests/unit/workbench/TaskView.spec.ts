// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import TaskView from '@/areas/workbench/TaskView.vue'
import TaskQueueView from '@/areas/workbench/TaskQueueView.vue'
import { validUSCC } from '@/areas/workbench/documents'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const officer = {
  ...alice,
  id: 'u-officer',
  login: 'officer',
  department: 'market',
  roles: ['officer'],
  permissions: perm('tasks:read', 'approval:write', 'issuance:write', 'issuance:read'),
}
const reader = { ...officer, permissions: perm('tasks:read') }

const process = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
const task = {
  process, step: 'licence', department: 'market', member: 'MarketMSP', status: 'pending', ready: true, overdue: false,
  readyAt: '2026-11-24T08:00:00Z', deadline: '2026-11-24T16:00:00Z', limitSeconds: 28800, item: 'establishment',
  applicant: 'subject-1', enterpriseName: '济南市明湖信息技术有限公司', enterpriseType: 'llc',
  inputs: ['application-form', 'articles-of-association'], outputs: ['business-licence'], pushed: ['application-form'],
  information: {
    'application-form': {
      enterprise: {
        name: '济南市明湖信息技术有限公司', enterpriseType: 'llc', registeredCapital: '1000000.00',
        address: { division: '370102', detail: '历下区泉城路 1 号' }, businessScope: '软件开发',
      },
      shareholders: [{ name: '张*', idNumber: '3701**********4513' }],
    },
    accumulated: {},
  },
  materials: [
    { asset: 'asset-aoa', type: 'articles-of-association', material: 'articles-of-association', granted: true },
    { asset: 'asset-id', type: 'identity-card', material: 'legal-representative-id', granted: false },
  ],
}
const content = btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify({ title: '公司章程', legalRepresentative: { name: '张三' } }))))

async function open(me: typeof officer, extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    [`GET /api/v1/tasks/${process}/licence`]: () => jsonResponse(200, task),
    [`GET /api/v1/issuance/processes/${process}/documents`]: () => jsonResponse(200, { items: [] }),
    ...extra,
  })
  const page = await mountPage(TaskView, {
    path: `/workbench/tasks/${process}/licence`,
    props: { process, step: 'licence' },
    auth: fakeAuth({ me: async () => me }),
    fetch: api.fetch,
  })
  const session = (await import('@/auth/session')).useSession()
  await session.ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

const input = (w: Awaited<ReturnType<typeof open>>['wrapper'], name: string) => w.find(`[name="${name}"]`)

describe('TaskView', () => {
  it('shows the step, the pushed information masked as the API masks it, and the materials', async () => {
    const { wrapper } = await open(officer)
    await vi.waitFor(() => expect(wrapper.text()).toContain('济南市明湖信息技术有限公司 · licence'))
    const text = wrapper.text()
    expect(text).toContain('申请表信息')
    expect(text).toContain('enterprise.address.detail')
    expect(wrapper.findAll('.masked').length + wrapper.text().split('张*').length - 1).toBeGreaterThan(0)
    expect(text).toContain('已授权')
    expect(text).toContain('待申请人在保险箱中授权')
    // The licence form is filled from the application, with a valid code.
    expect((input(wrapper, 'name').element as HTMLInputElement).value).toBe('济南市明湖信息技术有限公司')
    expect((input(wrapper, 'registeredCapital').element as HTMLInputElement).value).toBe('100 万元人民币')
    expect((input(wrapper, 'type').element as HTMLInputElement).value).toBe('有限责任公司')
    expect(validUSCC((input(wrapper, 'uscc').element as HTMLInputElement).value)).toBe(true)
  })

  it('reads a granted material with the department key and a reason, and takes the legal representative from it', async () => {
    const { wrapper, api } = await open(officer, {
      [`POST /api/v1/tasks/${process}/licence/materials/asset-aoa`]: () =>
        jsonResponse(200, { asset: 'asset-aoa', type: 'articles-of-association', contentDigest: 'd', content }),
    })
    await vi.waitFor(() => expect(wrapper.text()).toContain('查阅'))
    await wrapper.findAll('button').find((b) => b.text() === '查阅')!.trigger('click')
    await flushPromises()
    const dialogInput = document.querySelector<HTMLInputElement>('input[name="read-department-key"]')!
    dialogInput.value = 'dept-secret'
    dialogInput.dispatchEvent(new Event('input'))
    document.querySelector<HTMLFormElement>('.el-dialog form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(api.calls.some((c) => c.key.endsWith('/materials/asset-aoa'))).toBe(true))
    const read = api.calls.find((c) => c.key.endsWith('/materials/asset-aoa'))!
    expect(read.body).toEqual({ password: 'dept-secret', reason: '审核企业开办申请材料' })
    await vi.waitFor(() => expect(wrapper.text()).toContain('公司章程'))
    expect((input(wrapper, 'legalRepresentative').element as HTMLInputElement).value).toBe('张三')
  })

  it('asks for the department key before anything is sent', async () => {
    const { wrapper, api } = await open(officer)
    await vi.waitFor(() => expect(wrapper.text()).toContain('提交审批'))
    await input(wrapper, 'opinion').setValue('材料齐全，准予登记')
    await wrapper.findAll('form').at(-1)!.trigger('submit')
    await vi.waitFor(() => expect(wrapper.text()).toContain('请填写部门密钥口令'))
    expect(api.calls.filter((c) => c.key.startsWith('POST'))).toHaveLength(0)
  })

  it('issues the licence and approves with it as the output', async () => {
    const { wrapper, api } = await open(officer, {
      'POST /api/v1/issuance/documents': () =>
        jsonResponse(201, { asset: 'licence-asset-1', kind: 'business-licence', pdfDigest: 'ab'.repeat(32), payload: 'KBV1:x', queued: 'q', existing: false }),
      [`POST /api/v1/tasks/${process}/licence/decision`]: () =>
        jsonResponse(202, { process, step: 'licence', approve: true, decision: '{}', signature: 's', queued: 'decision/x' }),
    })
    await vi.waitFor(() => expect(wrapper.text()).toContain('签发并存入申请人保险箱'))
    await input(wrapper, 'department-key').setValue('dept-secret')
    await input(wrapper, 'legalRepresentative').setValue('张三')
    await wrapper.find('.issue-form').trigger('submit')
    await vi.waitFor(() => expect(api.calls.some((c) => c.key === 'POST /api/v1/issuance/documents')).toBe(true))
    const issued = api.calls.find((c) => c.key === 'POST /api/v1/issuance/documents')!.body as Record<string, any>
    expect(issued.kind).toBe('business-licence')
    expect(issued.password).toBe('dept-secret')
    expect(issued.licence.legalRepresentative).toBe('张三')
    expect(issued.licence.address).toBe('历下区泉城路 1 号')
    await vi.waitFor(() => expect(wrapper.text()).toContain('licence-asset-1'))

    await input(wrapper, 'opinion').setValue('材料齐全，准予登记')
    await wrapper.findAll('form').at(-1)!.trigger('submit')
    await vi.waitFor(() => expect(api.calls.some((c) => c.key.endsWith('/decision'))).toBe(true))
    expect(api.calls.find((c) => c.key.endsWith('/decision'))!.body).toEqual({
      approve: true, opinion: '材料齐全，准予登记', approver: 'u-officer', outputs: ['licence-asset-1'], password: 'dept-secret',
    })
    await vi.waitFor(() => expect(wrapper.text()).toContain('审批已签名并提交上链'))
  })

  it("puts the API's field errors next to their fields", async () => {
    const { wrapper } = await open(officer, {
      [`POST /api/v1/tasks/${process}/licence/decision`]: () =>
        problemResponse(400, { type: 'urn:kaiban:problem:validation', errors: [{ in: 'body', field: '/password', detail: '部门密钥口令不正确' }] }),
    })
    await vi.waitFor(() => expect(wrapper.text()).toContain('提交审批'))
    await input(wrapper, 'department-key').setValue('wrong')
    await input(wrapper, 'opinion').setValue('同意')
    await wrapper.findAll('form').at(-1)!.trigger('submit')
    await vi.waitFor(() => expect(wrapper.text()).toContain('部门密钥口令不正确'))
  })

  it('shows no issue or decision to someone who may only read', async () => {
    const { wrapper } = await open(reader, {})
    await vi.waitFor(() => expect(wrapper.text()).toContain('申请材料'))
    expect(wrapper.text()).not.toContain('审批结果')
    expect(wrapper.text()).not.toContain('签发并存入申请人保险箱')
  })
})

describe('TaskQueueView', () => {
  it('lists the department queue with its states and links to each task', async () => {
    const api = fakeApi({
      'GET /api/v1/tasks': (r) => {
        const q = new URL(r.url).searchParams
        return jsonResponse(200, { items: q.get('status') === 'approved' ? [] : [{ ...task, overdue: true, materials: [] }] })
      },
    })
    const { wrapper } = await mountPage(TaskQueueView, { path: '/workbench/tasks', auth: fakeAuth({ me: async () => officer }), fetch: api.fetch })
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(1))
    const row = wrapper.find('.el-table__row').text()
    expect(row).toContain('济南市明湖信息技术有限公司')
    expect(row).toContain('待办')
    expect(row).toContain('可办理')
    expect(row).toContain('已超时')
    expect(wrapper.find('a.task-link').attributes('href')).toBe(`/workbench/tasks/${process}/licence`)
    expect(new URL(api.calls[0]!.key.split(' ')[1]!, 'http://x').pathname).toBe('/api/v1/tasks')
  })
})
