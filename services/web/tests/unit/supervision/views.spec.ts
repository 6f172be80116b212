// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import DashboardView from '@/areas/supervision/DashboardView.vue'
import ProcessesView from '@/areas/supervision/ProcessesView.vue'
import RegulatorView from '@/areas/supervision/RegulatorView.vue'
import TimelineView from '@/areas/supervision/TimelineView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'
import { timeline } from './timeline.spec'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const supervisor = { ...alice, roles: ['supervisor'], permissions: perm('supervision:read', 'supervision:intervene', 'monitoring:read') }
const watcher = { ...alice, roles: ['regulator'], permissions: perm('supervision:read', 'monitoring:read', 'regulator:read', 'regulator:inspect') }
const alert = { id: 7, kind: 'overdue', process: 'p1', step: 'licence', department: 'MarketMSP', detail: '营业执照环节已超时', raisedAt: '2026-11-24T08:31:00Z' }

// Dialogs are teleported to the body: each test starts with an empty one.
afterEach(() => {
  document.body.innerHTML = ''
})

async function open(view: Parameters<typeof mountPage>[0], me: typeof alice, answers: Parameters<typeof fakeApi>[0], path = '/', props = {}) {
  const api = fakeApi(answers)
  const page = await mountPage(view, { path, props, auth: fakeAuth({ me: async () => me }), fetch: api.fetch })
  const session = (await import('@/auth/session')).useSession()
  await session.ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

describe('TimelineView', () => {
  const answers = {
    'GET /api/v1/supervision/processes/p1': () => jsonResponse(200, { ...timeline, process: { ...timeline.process, status: 'completed' } }),
    'GET /api/v1/supervision/alerts': () => jsonResponse(200, { items: [alert, { ...alert, id: 8, process: 'other' }] }),
  }

  it('shows every step against its limit, the late ones marked, the interventions and the alerts of this process', async () => {
    const { wrapper } = await open(TimelineView, supervisor, answers, '/supervision/processes/p1', { id: 'p1' })
    await vi.waitFor(() => expect(wrapper.findAll('.steps .el-table__row')).toHaveLength(3))
    const rows = wrapper.findAll('.steps .el-table__row').map((r) => r.text())
    expect(rows[0]).toContain('licence')
    expect(rows[0]).toContain('超时')
    expect(rows[0]).toContain('链上已标记超时')
    expect(rows[0]).toContain('1小时 / 30分')
    expect(rows[2]).toContain('5小时') // limit plus the extension
    expect(wrapper.text()).toContain('请尽快办理')
    expect(wrapper.text()).toContain('营业执照环节已超时')
    expect(wrapper.findAll('tbody').some((b) => b.text().includes('other'))).toBe(false)
    expect(wrapper.find('.gantt').exists()).toBe(true)
  })

  it('records an intervention with its reason', async () => {
    const { wrapper, api } = await open(
      TimelineView,
      supervisor,
      {
        ...answers,
        'POST /api/v1/supervision/processes/p1/steps/seal/interventions': () =>
          jsonResponse(202, { id: 1, request: {}, requestedBy: 'u', outboxKey: 'k', requestedAt: '2026-11-24T10:00:00Z' }),
      },
      '/supervision/processes/p1',
      { id: 'p1' },
    )
    await vi.waitFor(() => expect(wrapper.findAll('.steps .el-table__row')).toHaveLength(3))
    const buttons = wrapper.findAll('button').filter((b) => b.text() === '干预')
    expect(buttons.length).toBeGreaterThan(1)
    await buttons[1]!.trigger('click')
    await flushPromises()
    const form = document.querySelector<HTMLFormElement>('.el-dialog form')!
    form.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(document.body.textContent).toContain('请填写事由'))
    expect(api.calls.some((c) => c.key.startsWith('POST'))).toBe(false)
    const reason = document.querySelector<HTMLTextAreaElement>('.el-dialog textarea[name="reason"]')!
    reason.value = '申请人催办'
    reason.dispatchEvent(new Event('input'))
    form.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(api.calls.some((c) => c.key.startsWith('POST'))).toBe(true))
    expect(api.calls.find((c) => c.key.startsWith('POST'))!.body).toEqual({ action: 'note', reason: '申请人催办' })
  })

  it('shows a rejected process closed by its bundle as rejected, and only takes a note on its rejected step', async () => {
    const tax = { ...timeline.steps[2]!, status: 'rejected', ready: false, decidedAt: '2026-11-24T09:30:00Z', opinion: '材料不全' }
    const closed = {
      ...timeline,
      process: { ...timeline.process, status: 'rejected', note: 'rejected at step tax' },
      steps: [timeline.steps[0]!, timeline.steps[1]!, tax],
      bundle: { process: 'p1', items: [{ step: 'licence', status: 'issued', asset: 'a1' }, { step: 'seal', status: 'skipped' }, { step: 'tax', status: 'rejected' }], at: '2026-11-24T09:31:00Z', txId: 'tx-bundle' },
    }
    const { wrapper, api } = await open(
      TimelineView,
      supervisor,
      {
        ...answers,
        'GET /api/v1/supervision/processes/p1': () => jsonResponse(200, closed),
        'POST /api/v1/supervision/processes/p1/steps/tax/interventions': () =>
          jsonResponse(202, { id: 2, request: {}, requestedBy: 'u', outboxKey: 'k', requestedAt: '2026-11-24T10:00:00Z' }),
      },
      '/supervision/processes/p1',
      { id: 'p1' },
    )
    await vi.waitFor(() => expect(wrapper.findAll('.steps .el-table__row')).toHaveLength(3))
    expect(wrapper.find('[data-test="process-status"]').text()).toBe('已驳回')
    expect(wrapper.text()).toContain('tx-bundle')
    await wrapper.findAll('button').filter((b) => b.text() === '干预')[2]!.trigger('click')
    await flushPromises()
    const reason = document.querySelector<HTMLTextAreaElement>('.el-dialog textarea[name="reason"]')!
    reason.value = '已统一出件，记录说明'
    reason.dispatchEvent(new Event('input'))
    document.querySelector<HTMLFormElement>('.el-dialog form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(api.calls.some((c) => c.key.startsWith('POST'))).toBe(true))
    expect(api.calls.find((c) => c.key.startsWith('POST'))!.body).toEqual({ action: 'note', reason: '已统一出件，记录说明' })
  })

  it('takes only a note once the bundle is enqueued and not yet on chain, and says why', async () => {
    const tax = { ...timeline.steps[2]!, status: 'rejected', ready: false, decidedAt: '2026-11-24T09:30:00Z', opinion: '材料不全' }
    const queued = {
      ...timeline,
      process: { ...timeline.process, status: 'rejected', note: 'rejected at step tax' },
      steps: [timeline.steps[0]!, timeline.steps[1]!, tax],
      bundleQueued: true,
    }
    const { wrapper, api } = await open(
      TimelineView,
      supervisor,
      {
        ...answers,
        'GET /api/v1/supervision/processes/p1': () => jsonResponse(200, queued),
        'POST /api/v1/supervision/processes/p1/steps/tax/interventions': () =>
          jsonResponse(202, { id: 3, request: {}, requestedBy: 'u', outboxKey: 'k', requestedAt: '2026-11-24T10:00:00Z' }),
      },
      '/supervision/processes/p1',
      { id: 'p1' },
    )
    await vi.waitFor(() => expect(wrapper.findAll('.steps .el-table__row')).toHaveLength(3))
    expect(wrapper.find('[data-testid="bundle-queued"]').text()).toContain('不能再重新办理')
    await wrapper.findAll('button').filter((b) => b.text() === '干预')[2]!.trigger('click')
    await flushPromises()
    // The rejected step would default to a reopen; here the dialog starts on a note.
    const reason = document.querySelector<HTMLTextAreaElement>('.el-dialog textarea[name="reason"]')!
    reason.value = '等待出件上链'
    reason.dispatchEvent(new Event('input'))
    document.querySelector<HTMLFormElement>('.el-dialog form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(api.calls.some((c) => c.key.startsWith('POST'))).toBe(true))
    expect(api.calls.find((c) => c.key.startsWith('POST'))!.body).toEqual({ action: 'note', reason: '等待出件上链' })
  })

  it('offers no intervention without the permission', async () => {
    const { wrapper } = await open(TimelineView, watcher, answers, '/supervision/processes/p1', { id: 'p1' })
    await vi.waitFor(() => expect(wrapper.findAll('.steps .el-table__row')).toHaveLength(3))
    expect(wrapper.findAll('button').some((b) => b.text() === '干预')).toBe(false)
  })
})

describe('ProcessesView', () => {
  it('lists processes with progress and late steps, and the alerts', async () => {
    const { wrapper, api } = await open(ProcessesView, supervisor, {
      'GET /api/v1/supervision/processes': (r) =>
        jsonResponse(200, {
          items: new URL(r.url).searchParams.get('late') ? [] : [{ id: 'p1', item: 'establishment', applicant: 's', status: 'running', createdAt: '2026-11-24T08:00:00Z', steps: 7, decided: 3, late: 1 }],
        }),
      'GET /api/v1/supervision/alerts': () => jsonResponse(200, { items: [alert] }),
    })
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row').length).toBeGreaterThan(0))
    const row = wrapper.find('.el-table__row').text()
    expect(row).toContain('p1')
    expect(row).toContain('办理中')
    expect(row).toContain('3/7')
    expect(wrapper.find('a[href="/supervision/processes/p1"]').exists()).toBe(true)
    expect(api.calls.map((c) => c.key)).toContain('GET /api/v1/supervision/alerts')
  })
})

describe('DashboardView', () => {
  it('charts transactions, accounts and assets, and lists nodes and alerts', async () => {
    const pts = [{ at: '2026-11-24T08:00:00Z', count: 3 }, { at: '2026-11-24T09:00:00Z', count: 5 }]
    const { wrapper, api } = await open(DashboardView, supervisor, {
      'GET /api/v1/monitoring/transactions': () => jsonResponse(200, { items: [{ name: 'approval', total: 8, points: pts }] }),
      'GET /api/v1/monitoring/accounts': () =>
        jsonResponse(200, {
          members: [{ kind: 'department', count: 7 }], subjects: [{ kind: 'enterprise', count: 2 }], assetTypes: [{ kind: 'active', count: 10 }],
          created: [{ name: 'subject', total: 2, points: pts }],
        }),
      'GET /api/v1/monitoring/assets': () =>
        jsonResponse(200, {
          totals: [{ type: 'business-licence', total: 2, available: 2, revoked: 0, abolished: 0 }],
          increments: [{ name: 'business-licence', total: 2, points: pts }], activity: [],
        }),
      'GET /api/v1/monitoring/nodes': () =>
        jsonResponse(200, { items: [{ name: 'devnet', kind: 'devnet', health: 'h', up: true, latencyMs: 2.5, checkedAt: '2026-11-24T10:00:00Z', figures: { ledger_blockchain_height: 42 } }] }),
      'GET /api/v1/monitoring/alerts': () =>
        jsonResponse(200, { items: [{ id: 1, rule: 'node.down', subject: 'peer0', detail: 'no answer', value: 1, threshold: 0, raisedAt: '2026-11-24T09:00:00Z' }] }),
    })
    await vi.waitFor(() => expect(wrapper.findAll('figure.chart-panel')).toHaveLength(6))
    const captions = wrapper.findAll('figcaption').map((c) => c.text())
    expect(captions).toContain('链上交易量（按链码）')
    const tx = wrapper.findAll('figure.chart-panel')[0]!
    expect(tx.findAll('tbody tr').map((r) => r.findAll('td').map((c) => c.text()))).toEqual([['3'], ['5']])
    const accounts = wrapper.findAll('figure.chart-panel')[1]!.text()
    expect(accounts).toContain('成员·department')
    expect(wrapper.text()).toContain('正常')
    expect(wrapper.text()).toContain('42')
    expect(wrapper.text()).toContain('节点不可用')
    const q = new URL('http://x' + api.calls.find((c) => c.key.includes('transactions'))!.key.split(' ')[1])
    expect(q.pathname).toBe('/api/v1/monitoring/transactions')
  })
})

describe('RegulatorView', () => {
  it('says when no regulator has a remit', async () => {
    const { wrapper, api } = await open(RegulatorView, watcher, { 'GET /api/v1/regulators': () => jsonResponse(200, { items: [] }) })
    await vi.waitFor(() => expect(wrapper.text()).toContain('尚未为任何监管成员配置监管范围'))
    expect(api.calls.map((c) => c.key)).toEqual(['GET /api/v1/regulators'])
  })

  it('shows the remit, assets and transactions of the chosen member, and inspects with a reason', async () => {
    localStorage.clear()
    const asset = { id: 'asset-licence-0001', type: 'business-licence', owner: 'subject-0001', issuer: 'MarketMSP', status: 'available', createdAt: '2026-11-24T09:00:00Z', txId: 'tx1' }
    const { wrapper, api } = await open(RegulatorView, watcher, {
      'GET /api/v1/regulators': () =>
        jsonResponse(200, {
          items: [
            { regulator: 'OperatorMSP', departments: ['MarketMSP'], assetTypes: ['business-licence'] },
            { regulator: 'TaxRegMSP', departments: ['TaxMSP'], assetTypes: [] },
          ],
        }),
      'GET /api/v1/regulators/OperatorMSP/assets': () => jsonResponse(200, { items: [asset] }),
      'GET /api/v1/regulators/OperatorMSP/transactions': () =>
        jsonResponse(200, { items: [{ txId: 'tx1', chaincode: 'asset', event: 'AssetIssued', blockNumber: 9, projectedAt: '2026-11-24T09:00:01Z' }] }),
      'POST /api/v1/regulators/OperatorMSP/assets/asset-licence-0001/inspection': () =>
        jsonResponse(200, {
          asset: { ...asset, record: { id: asset.id, contentDigest: 'abc' } }, outboxKey: 'regulator/access/x',
          content: btoa(String.fromCharCode(...new TextEncoder().encode('{"title":"营业执照"}'))),
        }),
    })
    // The first regulator with a remit is chosen (none was chosen before in this browser).
    await vi.waitFor(() => expect(wrapper.find('[data-test="remit"]').text()).toContain('business-licence'))
    await vi.waitFor(() => expect(wrapper.text()).toContain('MarketMSP'))
    expect(localStorage.getItem('kaiban.regulator')).toBe('OperatorMSP')
    await wrapper.findAll('button').find((b) => b.text() === '查阅')!.trigger('click')
    await flushPromises()
    const reason = document.querySelector<HTMLInputElement>('.el-dialog input[name="reason"]')!
    reason.value = '年度抽查'
    reason.dispatchEvent(new Event('input'))
    const key = document.querySelector<HTMLInputElement>('.el-dialog input[name="regulator-key"]')!
    key.value = 'reg-secret'
    key.dispatchEvent(new Event('input'))
    document.querySelector<HTMLFormElement>('.el-dialog form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(document.body.textContent).toContain('contentDigest'))
    expect(api.calls.find((c) => c.key.startsWith('POST'))!.body).toEqual({ reason: '年度抽查', password: 'reg-secret' })
    expect(document.querySelector('[data-test="content"]')!.textContent).toContain('营业执照')
  })
})
