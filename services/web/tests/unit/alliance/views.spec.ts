// @vitest-environment jsdom
// The alliance area's pages over a fake API: what each role sees, the
// requests the buttons send, errors next to their fields, the masked
// configuration, and the menus the roles get.
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import ContractsView from '@/areas/alliance/ContractsView.vue'
import MembersView from '@/areas/alliance/MembersView.vue'
import NodesView from '@/areas/alliance/NodesView.vue'
import OpsView from '@/areas/alliance/OpsView.vue'
import { buildMenu } from '@/router/menu'
import { routes } from '@/router/routes'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const admin = { ...alice, roles: ['sysadmin'], permissions: perm('alliance:read', 'alliance:write', 'alliance:review', 'alliance.ops:read') }
const reader = { ...alice, roles: ['supervisor'], permissions: perm('alliance:read') }

const members = {
  items: [
    { id: 'OperatorMSP', name: '平台运营方', kind: 'operator', publicKey: 'PEM', status: 'active', permissions: ['member', 'contract', 'node', 'subject'], createdAt: 'x', updatedAt: 'x' },
    { id: 'TaxMSP', name: '税务局', kind: 'department', department: 'tax', publicKey: 'PEM', status: 'pending', createdAt: 'x', updatedAt: 'x' },
  ],
}

beforeEach(() => {
  document.body.innerHTML = ''
})

async function mount(component: object, me: typeof alice, routesOver: Record<string, (r: Request) => Response | Promise<Response>>, path: string) {
  const api = fakeApi(routesOver)
  const page = await mountPage(component, { path, auth: fakeAuth({ me: async () => me }), fetch: api.fetch })
  await (await import('@/auth/session')).useSession().ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

describe('MembersView', { timeout: 20_000 }, () => {
  it('lets the system administrator review a pending application with permissions', async () => {
    let body: unknown
    const { wrapper, api } = await mount(MembersView, admin, {
      'GET /api/v1/alliance/members': () => jsonResponse(200, members),
      'POST /api/v1/alliance/members/TaxMSP/review': async (r) => {
        body = await r.json()
        return jsonResponse(202, { outboxKey: 'alliance/ReviewMember/1' })
      },
    }, '/alliance/members')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(2))
    expect(wrapper.text()).toContain('待审核')
    expect(wrapper.find('button[aria-label="停用 OperatorMSP"]').exists()).toBe(true)
    await wrapper.find('button[aria-label="审核 TaxMSP"]').trigger('click')
    await flushPromises()
    const dialog = document.body.querySelector('.el-dialog[aria-label="审核 TaxMSP"]') ?? document.body
    const node = Array.from(dialog.querySelectorAll('label')).find((l) => l.textContent?.includes('节点管理'))
    node?.click()
    await flushPromises()
    // A rejection without a reason is refused next to the note, nothing sent.
    const reject = Array.from(document.body.querySelectorAll('button')).find((b) => b.textContent?.trim() === '驳回')!
    reject.click()
    await flushPromises()
    expect(document.body.textContent).toContain('驳回须说明理由')
    expect(api.calls.some((c) => c.key.startsWith('POST'))).toBe(false)
    const approve = Array.from(document.body.querySelectorAll('button')).find((b) => b.textContent?.trim() === '批准')!
    approve.click()
    await vi.waitFor(() => expect(body).toEqual({ approve: true, permissions: ['node'] }))
  })

  it('shows a reader the members and no buttons', async () => {
    const { wrapper } = await mount(MembersView, reader, { 'GET /api/v1/alliance/members': () => jsonResponse(200, members) }, '/alliance/members')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(2))
    expect(wrapper.text()).not.toContain('准入申请')
    expect(wrapper.find('button[aria-label="审核 TaxMSP"]').exists()).toBe(false)
    expect(wrapper.find('button[aria-label="停用 OperatorMSP"]').exists()).toBe(false)
  })
})

describe('NodesView', { timeout: 20_000 }, () => {
  it('lists nodes with their kind and offers retirement of an active one', async () => {
    const { wrapper } = await mount(NodesView, admin, {
      'GET /api/v1/alliance/nodes': () => jsonResponse(200, { items: [{ id: 'a'.repeat(32), member: 'TaxMSP', name: 'peer0', kind: 'transaction', endpoint: 'peer0:7051', tlsCertDigest: 'ab'.repeat(32), status: 'active' }] }),
      'GET /api/v1/alliance/members': () => jsonResponse(200, members),
    }, '/alliance/nodes')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(1))
    expect(wrapper.text()).toContain('交易节点')
    expect(wrapper.find('button[aria-label="节点 peer0 退出"]').exists()).toBe(true)
  })
})

describe('ContractsView', { timeout: 20_000 }, () => {
  const contract = (over: object) => ({
    id: 1, chaincode: 'asset', version: '1.1', name: '数字资产合约', purpose: '证照', assetTypes: ['business-licence'], packageDigest: 'ef'.repeat(32),
    status: 'submitted', submittedBy: 'user:someone-else', history: [{ at: '2026-11-24T10:00:00Z', by: 'user:someone-else', action: 'submitted' }],
    createdAt: '2026-11-24T10:00:00Z', updatedAt: '2026-11-24T10:00:00Z', ...over,
  })
  const base = {
    'GET /api/v1/alliance/asset-types': () => jsonResponse(200, { items: [] }),
    'GET /api/v1/alliance/ops/versions': () => jsonResponse(200, { items: [{ name: 'kaiban', version: 'dev' }, { name: 'chaincode asset', version: 'dev (definition 1.0)' }] }),
  }
  it('reviews another administrator’s version, then deploys it to the test channel', async () => {
    let current = contract({})
    const { wrapper, api } = await mount(ContractsView, admin, {
      ...base,
      'GET /api/v1/alliance/contracts': () => jsonResponse(200, { items: [current] }),
      'POST /api/v1/alliance/contracts/1/review': () => jsonResponse(200, (current = contract({ status: 'approved', reviewedBy: `user:${admin.id}` }))),
      'POST /api/v1/alliance/contracts/1/deployment': () => jsonResponse(200, (current = contract({ status: 'testing' }))),
    }, '/alliance/contracts')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(1))
    expect(wrapper.find('[data-testid="running-chaincode"]').text()).toContain('asset')
    await wrapper.find('button[aria-label="查看 asset 1.1"]').trigger('click')
    await flushPromises()
    const click = (label: string) => Array.from(document.body.querySelectorAll<HTMLButtonElement>('.el-drawer button')).find((b) => b.textContent?.trim() === label)!.click()
    click('批准')
    await vi.waitFor(() => expect(document.body.querySelector('[data-testid="contract-status"]')?.textContent).toBe('已批准'))
    click('部署到测试通道')
    await vi.waitFor(() => expect(document.body.querySelector('[data-testid="contract-status"]')?.textContent).toBe('测试通道'))
    expect(api.calls.map((c) => c.key)).toContain('POST /api/v1/alliance/contracts/1/deployment')
    expect(document.body.querySelector('.el-drawer .el-timeline')?.textContent).toContain('登记')
  })

  it('does not offer the submitter a review of their own version', async () => {
    const { wrapper } = await mount(ContractsView, admin, {
      ...base,
      'GET /api/v1/alliance/contracts': () => jsonResponse(200, { items: [contract({ submittedBy: `user:${admin.id}` })] }),
    }, '/alliance/contracts')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(1))
    await wrapper.find('button[aria-label="查看 asset 1.1"]').trigger('click')
    await flushPromises()
    expect(document.body.textContent).toContain('提交人不能审核自己登记的合约')
    expect(Array.from(document.body.querySelectorAll<HTMLButtonElement>('.el-drawer button')).some((b) => b.textContent?.trim() === '批准')).toBe(false)
  })
})

describe('OpsView', { timeout: 20_000 }, () => {
  it('shows the versions and the configuration as the server masked it', async () => {
    const { wrapper } = await mount(OpsView, admin, {
      'GET /api/v1/alliance/ops/configuration': () => jsonResponse(200, { database: { url: '***' }, http: { listen: ':8080' } }),
      'GET /api/v1/alliance/ops/versions': () => jsonResponse(200, { items: [{ name: 'kaiban', version: 'dev' }, { name: 'PostgreSQL', version: '16.4' }] }),
    }, '/alliance/ops')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="configuration"]').text()).toContain('database.url'))
    expect(wrapper.find('[data-testid="configuration"]').text()).toContain('***')
    expect(wrapper.find('[data-testid="versions"]').text()).toContain('PostgreSQL')
  })
})

describe('alliance menus', () => {
  const pages = (held: string[]) =>
    buildMenu(routes, (p) => !p || held.includes(p))
      .flatMap((e) => (e.children ?? [e]).map((c) => c.key))
      .filter((k) => k.startsWith('/alliance/'))
  it('give the system administrator every alliance page and a reader all but operations', () => {
    expect(pages(['alliance:read', 'alliance.ops:read']).sort()).toEqual(['/alliance/asset-types', '/alliance/contracts', '/alliance/members', '/alliance/nodes', '/alliance/ops'])
    expect(pages(['alliance:read'])).not.toContain('/alliance/ops')
    expect(pages(['intake:read'])).toEqual([])
  })
})
