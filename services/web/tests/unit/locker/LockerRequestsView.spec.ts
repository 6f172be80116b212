// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { ElMessageBox } from 'element-plus'
import { describe, expect, it, vi } from 'vitest'
import LockerRequestsView from '@/areas/locker/LockerRequestsView.vue'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'
import { applicant, licenceId, lockerId, gateRoutes, openGate } from './fixtures'

const hour = 3_600_000
const requests = {
  items: [
    { id: 'r-late', asset: licenceId, owner: lockerId, requester: 'TaxMSP', kind: 'authorization', scope: 'view', purpose: '税务核验', status: 'pending', dueAt: new Date(Date.now() - hour).toISOString() },
    { id: 'r-soon', asset: licenceId, owner: lockerId, requester: 'BankMSP', kind: 'authorization', scope: 'use', purpose: '开户审核', status: 'pending', dueAt: new Date(Date.now() + hour).toISOString() },
    { id: 'r-old', asset: licenceId, owner: lockerId, requester: 'SealMSP', purpose: '刻章', status: 'denied', note: '不需要', dueAt: '2026-01-01T00:00:00Z' },
  ],
}

async function mountRequests() {
  let items: Record<string, unknown>[] = requests.items
  const api = fakeApi({
    ...gateRoutes,
    [`GET /api/v1/lockers/${lockerId}/requests`]: () => jsonResponse(200, { items }),
    'POST /api/v1/locker-requests/r-late/deny': () => {
      items = items.map((r) => (r.id === 'r-late' ? { ...r, status: 'denied' } : r))
      return jsonResponse(200, { ...requests.items[0], status: 'denied' })
    },
    [`POST /api/v1/locker-assets/${licenceId}/grants`]: () => {
      items = items.map((r) => (r.id === 'r-soon' ? { ...r, status: 'approved' } : r))
      return jsonResponse(201, { id: 'g', asset: licenceId, grantor: lockerId, grantee: 'BankMSP', kind: 'authorization', scope: 'use', status: 'active', expiresAt: '2999-01-01T00:00:00Z' })
    },
  })
  const p = await mountPage(LockerRequestsView, { path: '/locker/requests', auth: fakeAuth({ me: async () => applicant }), fetch: api.fetch })
  await useSession().ensureLoaded()
  await flushPromises()
  await openGate(p.wrapper, 'unlock pw 5')
  await vi.waitFor(() => expect(p.wrapper.findAll('.pending .el-table__body-wrapper .el-table__row')).toHaveLength(2))
  return { ...p, api }
}

// Each test mounts Element Plus and waits for the page; on the shared machine
// under load these views take seconds, hence the 20 s timeouts.
describe('LockerRequestsView', () => {
  it('lists pending requests with their due state apart from the answered ones', async () => {
    const { wrapper } = await mountRequests()
    const rows = wrapper.findAll('.pending .el-table__body-wrapper .el-table__row')
    expect(rows[0]!.text()).toContain('TaxMSP')
    expect(rows[0]!.find('.due').text()).toBe('已逾期')
    expect(rows[1]!.find('.due').text()).toBe('即将到期')
    expect(wrapper.find('.answered').text()).toContain('不需要')
  }, 20_000)

  it('approves a request by a grant naming it, and denies one with a reason', async () => {
    const { wrapper, api } = await mountRequests()
    const rows = wrapper.findAll('.pending .el-table__body-wrapper .el-table__row')
    await rows[1]!.findAll('button').find((b) => b.text() === '同意并授权')!.trigger('click')
    await flushPromises()
    ;(document.querySelector('.el-dialog form') as HTMLFormElement).dispatchEvent(new Event('submit'))
    await flushPromises()
    const grant = api.calls.find((c) => c.key === `POST /api/v1/locker-assets/${licenceId}/grants`)!
    expect(grant.body).toMatchObject({ grantor: lockerId, password: 'unlock pw 5', grantee: 'BankMSP', granteeMember: true, scope: 'use', request: 'r-soon', purpose: '开户审核' })

    vi.spyOn(ElMessageBox, 'prompt').mockResolvedValue({ value: '已另行提供', action: 'confirm' } as never)
    await vi.waitFor(() => expect(wrapper.findAll('.pending .el-table__body-wrapper .el-table__row')).toHaveLength(1))
    await wrapper.findAll('.pending .el-table__body-wrapper .el-table__row')[0]!.findAll('button').find((b) => b.text() === '拒绝')!.trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.key === 'POST /api/v1/locker-requests/r-late/deny')!.body).toEqual({ owner: lockerId, password: 'unlock pw 5', note: '已另行提供' })
    await vi.waitFor(() => expect(wrapper.text()).toContain('没有待处理的授权请求'))
    expect(wrapper.find('.answered').text()).toContain('已授权')
  }, 20_000)
})
