// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import ApplicationsView from '@/areas/window/ApplicationsView.vue'
import ReceiptView from '@/areas/window/ReceiptView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const clerk = { ...alice, roles: ['clerk'], permissions: perm('intake:read', 'intake:write') }
const application = {
  id: 'c0ffee00c0ffee00c0ffee00c0ffee00', status: 'started', item: 'establishment', definitionVersion: 1, definitionDigest: 'd',
  applicant: '0123456789abcdef0123456789abcdef', name: '济南市明湖信息技术有限公司', enterpriseType: 'llc', registeredCapital: '1000000',
  address: { division: '370102', detail: '历下区经十路 100 号' }, businessScope: '软件开发',
  legalRepresentative: { name: '张*', idNumber: '3701**********4518', phone: '138****0000' },
  shareholders: [{ kind: 'person', name: '张*', idNumber: '3701**********4518', contribution: '1000000' }],
  services: ['seal', 'tax'],
  steps: [
    { key: 'licence', department: 'market', member: 'MarketMSP', limitSeconds: 28800 },
    { key: 'seal', department: 'seal', member: 'SealMSP', dependsOn: ['licence'], limitSeconds: 14400 },
    { key: 'tax', department: 'tax', member: 'TaxMSP', dependsOn: ['licence'], limitSeconds: 14400 },
  ],
  materials: [{ asset: 'asset-idcard-1', type: 'identity-card', material: 'legal-representative-id', departments: ['market', 'tax'], grant: 'requested', requested: ['TaxMSP'] }],
  processWrite: 'k', processStatus: 'running', acceptedBy: 'wang', createdAt: '2026-11-24T08:00:00Z',
}

describe('ReceiptView', () => {
  it('shows the application number, what was accepted (masked), the materials from the locker and the steps that follow', async () => {
    const api = fakeApi({ [`GET /api/v1/applications/${application.id}`]: () => jsonResponse(200, application) })
    const { wrapper } = await mountPage(ReceiptView, {
      path: `/window/applications/${application.id}`, props: { id: application.id }, auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch,
    })
    await vi.waitFor(() => expect(wrapper.find('[data-testid="application-id"]').text()).toBe(application.id))
    const text = wrapper.text()
    expect(text).toContain('企业开办受理回执')
    expect(text).toContain('济南市明湖信息技术有限公司')
    expect(text).toContain('3701**********4518')
    expect(text).not.toContain('370102199')
    expect(text).toContain('已启动')
    expect(text).toContain('税务（涉税办理）')
    expect(text).toContain('asset-idcard-1')
    expect(text).toContain('已向申请人请求授权')
    const steps = wrapper.findAll('[data-testid="steps"] .el-table__row').map((r) => r.text())
    expect(steps).toHaveLength(3)
    expect(steps[0]).toContain('市场监管（营业执照）')
    expect(steps[0]).toContain('8 小时')
    expect(steps[1]).toContain('公安（印章刻制）')
    expect(steps[1]).toContain('市场监管（营业执照）') // after the licence
    expect(text).toContain('统一出件')
    const print = vi.spyOn(window, 'print').mockImplementation(() => undefined)
    await wrapper.findAll('button').find((b) => b.text() === '打印回执')!.trigger('click')
    expect(print).toHaveBeenCalled()
  })
})

describe('ApplicationsView', () => {
  it('lists the applications with their status, each linking to its receipt; none is said', async () => {
    let items = [application]
    const api = fakeApi({ 'GET /api/v1/applications': () => jsonResponse(200, { items }) })
    const { wrapper } = await mountPage(ApplicationsView, { path: '/window/applications', auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch })
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(1))
    const row = wrapper.find('.el-table__row').text()
    expect(row).toContain('济南市明湖信息技术有限公司')
    expect(row).toContain('已启动')
    expect(row).toContain('running')
    expect(wrapper.find(`a[href="/window/applications/${application.id}"]`).exists()).toBe(true)

    items = []
    const empty = await mountPage(ApplicationsView, { path: '/window/applications', auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch })
    await flushPromises()
    expect(empty.wrapper.text()).toContain('暂无受理记录')
  })
})
