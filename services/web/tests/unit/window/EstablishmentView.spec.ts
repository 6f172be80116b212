// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import EstablishmentView from '@/areas/window/EstablishmentView.vue'
import { residentCheckChar } from '@/areas/window/validation'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const clerk = { ...alice, roles: ['clerk'], permissions: perm('intake:read', 'intake:write', 'registry:read', 'locker:open', 'locker:read') }
const applicant = '0123456789abcdef0123456789abcdef'

const item = {
  code: 'establishment', name: '企业开办', kind: 'registration', department: 'market', legalBasis: 'x', timeLimitDays: 1,
  currentVersion: 1, updatedAt: '2026-11-01T00:00:00Z',
  materials: [
    { code: 'application-form', name: '企业开办申请表', required: true, departments: ['market'] },
    { code: 'legal-representative-id', name: '法定代表人身份证明', required: true, assetType: 'identity-card', departments: ['market', 'bank'] },
    { code: 'address-proof', name: '住所使用证明', required: true, assetType: 'address-proof', departments: ['market'] },
  ],
}
const definition = {
  item: 'establishment', version: 1, digest: 'd', issuance: 'unified', createdAt: '2026-11-01T00:00:00Z', createdBy: 'm',
  steps: [
    { key: 'licence', department: 'market', limitSeconds: 28800 },
    { key: 'seal', department: 'seal', service: 'seal', dependsOn: ['licence'], limitSeconds: 14400 },
    { key: 'tax', department: 'tax', service: 'tax', dependsOn: ['licence'], limitSeconds: 14400 },
  ],
}
const locker = { id: applicant, kind: 'enterprise', status: 'active', name: '济南市明湖信息技术有限公司', clerkId: 'wang', applyWrite: 'k', createdAt: '2026-11-01T00:00:00Z' }
const assets = {
  items: [
    { id: 'asset-idcard-1', type: 'identity-card', owner: applicant, issuer: 'PoliceMSP', channel: 'authority', status: 'available' },
    { id: 'asset-addr-old', type: 'address-proof', owner: applicant, issuer: 'HousingMSP', channel: 'self', status: 'revoked' },
  ],
}
const id = (body: string) => body + residentCheckChar(body)

async function open(extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/items/establishment': () => jsonResponse(200, item),
    'GET /api/v1/items/establishment/definitions/1': () => jsonResponse(200, definition),
    [`GET /api/v1/lockers/${applicant}`]: () => jsonResponse(200, locker),
    [`GET /api/v1/lockers/${applicant}/assets`]: () => jsonResponse(200, assets),
    ...extra,
  })
  const page = await mountPage(EstablishmentView, {
    path: `/window/establish?applicant=${applicant}`,
    auth: fakeAuth({ me: async () => clerk }),
    fetch: api.fetch,
  })
  await flushPromises()
  return { ...page, api }
}

async function fill(wrapper: Awaited<ReturnType<typeof open>>['wrapper'], name: string, value: string) {
  const input = wrapper.find(`[name="${name}"]`)
  await input.setValue(value)
  await input.trigger('blur')
  await flushPromises()
}

function errorOf(wrapper: Awaited<ReturnType<typeof open>>['wrapper'], name: string): string {
  const item = wrapper.find(`[name="${name}"]`).element.closest('.el-form-item')!
  return item.querySelector('.el-form-item__error')?.textContent?.trim() ?? ''
}

// Many fields are typed one by one: slow on a loaded machine, hence the longer timeout.
describe('EstablishmentView', { timeout: 20_000 }, () => {
  it('shows the materials on chain in the locker as pulled from it, and offers the definition’s services', async () => {
    const { wrapper } = await open()
    await vi.waitFor(() => expect(wrapper.find('[data-testid="applicant-locker"]').exists()).toBe(true))
    // The locker's name fills the enterprise name.
    expect((wrapper.find('[name="name"]').element as HTMLInputElement).value).toBe('济南市明湖信息技术有限公司')
    const rows = wrapper.findAll('[data-testid="materials"] .el-table__row').map((r) => r.text())
    expect(rows[0]).toContain('窗口收取') // no asset type: handed in
    expect(rows[1]).toContain('已上链，从数字保险箱调取')
    expect(rows[1]).toContain('asset-idcard-1')
    expect(rows[2]).toContain('窗口收取') // only a revoked copy on chain
    const services = wrapper.findAll('.el-checkbox')
    expect(services.map((s) => s.text())).toEqual(['公安（印章刻制）', '税务（涉税办理）'])
    expect(services.every((s) => s.classes().includes('is-checked'))).toBe(true)
  })

  it('says next to the field what is wrong with an ID number, while typing', async () => {
    const { wrapper } = await open()
    const good = id('37010219900307451')
    const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0')
    await fill(wrapper, 'repId', bad)
    await vi.waitFor(() => expect(errorOf(wrapper, 'repId')).toBe(`身份证号码校验位错误（按 GB 11643-1999 应为 ${good[17]}）`))
    await wrapper.find('[name="repId"]').setValue(good)
    await flushPromises()
    await vi.waitFor(() => expect(errorOf(wrapper, 'repId')).toBe(''))
    await fill(wrapper, 'repId', '370102199013074512')
    await vi.waitFor(() => expect(errorOf(wrapper, 'repId')).toContain('出生日期'))
    // A shareholder enterprise's USCC, with the character it should have.
    await wrapper.find('.el-radio-button:nth-child(2) input').setValue(true)
    await fill(wrapper, 'holderId0', '91110000600037341M')
    await vi.waitFor(() => expect(errorOf(wrapper, 'holderId0')).toBe('统一社会信用代码校验位错误（按 GB 32100-2015 应为 L）'))
    // The same investor twice, as the server refuses it.
    await fill(wrapper, 'holderId0', '91110000600037341L')
    await wrapper.findAll('button').find((b) => b.text() === '添加股东')!.trigger('click')
    await wrapper.findAll('.el-radio-group')[1]!.findAll('.el-radio-button')[1]!.find('input').setValue(true)
    await fill(wrapper, 'holderId1', '91110000600037341L')
    await vi.waitFor(() => expect(errorOf(wrapper, 'holderId1')).toBe('同一出资人重复填写'))
    expect(errorOf(wrapper, 'holderId0')).toBe('')
  })

  it('refuses to send a form with errors, and shows them all', async () => {
    const { wrapper, api } = await open()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(api.calls.some((c) => c.key === 'POST /api/v1/applications')).toBe(false)
    await vi.waitFor(() => expect(errorOf(wrapper, 'registeredCapital')).toBe('必填'))
    await vi.waitFor(() => expect(errorOf(wrapper, 'repPhone')).toBe('必填'))
  })

  async function fillAll(wrapper: Awaited<ReturnType<typeof open>>['wrapper']) {
    await fill(wrapper, 'registeredCapital', '1000000')
    await fill(wrapper, 'division', '370102')
    await fill(wrapper, 'addressDetail', '历下区经十路 100 号')
    await fill(wrapper, 'businessScope', '软件开发；信息技术咨询服务')
    await fill(wrapper, 'repName', '张三')
    await fill(wrapper, 'repId', id('37010219900307451'))
    await fill(wrapper, 'repPhone', '13800000000')
    await fill(wrapper, 'holderName0', '张三')
    await fill(wrapper, 'holderId0', id('37010219900307451'))
    await fill(wrapper, 'holderContribution0', '1000000')
  }

  it('puts the server’s field errors next to their fields', async () => {
    const { wrapper } = await open({
      'POST /api/v1/applications': () =>
        problemResponse(400, {
          type: 'urn:kaiban:problem:invalid',
          errors: [{ in: 'body', field: '/shareholders/0/idNumber', detail: 'the same investor is listed twice' }],
        }),
    })
    await fillAll(wrapper)
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(errorOf(wrapper, 'holderId0')).toBe('the same investor is listed twice'))
  })

  it('accepts a valid form and opens its receipt', async () => {
    const { wrapper, api, router } = await open({
      'POST /api/v1/applications': () => jsonResponse(201, { id: 'app-1' }),
      'GET /api/v1/applications/app-1': () => jsonResponse(404, {}),
    })
    await fillAll(wrapper)
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const post = api.calls.find((c) => c.key === 'POST /api/v1/applications')
    expect(post?.body).toMatchObject({
      item: 'establishment',
      applicant,
      name: '济南市明湖信息技术有限公司',
      enterpriseType: 'llc',
      registeredCapital: '1000000',
      address: { division: '370102', detail: '历下区经十路 100 号' },
      legalRepresentative: { name: '张三', phone: '13800000000' },
      shareholders: [{ kind: 'person', name: '张三', contribution: '1000000' }],
      services: ['seal', 'tax'],
    })
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/window/applications/app-1'))
  })
})
