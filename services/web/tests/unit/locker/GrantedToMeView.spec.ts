// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import GrantedToMeView from '@/areas/locker/GrantedToMeView.vue'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'
import { assets, bankOfficer, licenceId, lockerId } from './fixtures'

const active = {
  grant: { id: 'g2', kind: 'authorization', asset: licenceId, grantor: lockerId, grantee: 'BankMSP', scope: 'view', purpose: '开户审核', status: 'active', expiresAt: '2999-01-01T00:00:00Z' },
  asset: assets.items[0],
}
const revoked = { ...active, grant: { ...active.grant, id: 'g1', status: 'revoked' } }
const access = { id: 'a', asset: licenceId, accessor: 'BankMSP', action: 'view', reason: '开户资料核验', grant: 'g2', time: '2026-11-24T11:00:00Z', txId: 'tx-bank-read' }

async function mountGranted(extra: Parameters<typeof fakeApi>[0] = {}) {
  let records: unknown[] = []
  let reads = 0
  const api = fakeApi({
    'GET /api/v1/locker-grants': () => jsonResponse(200, { grantee: 'BankMSP', items: [active, revoked] }),
    [`POST /api/v1/locker-assets/${licenceId}/view`]: () => {
      records = [{ ...access, block: 77 }]
      return jsonResponse(200, { asset: licenceId, type: 'business-licence', content: btoa('营业执照 text'.replace(/[^\x00-\x7f]/g, '')), access, block: 77 })
    },
    // The projection lags: the read shows from the second request on.
    [`GET /api/v1/locker-assets/${licenceId}/access-records`]: () => jsonResponse(200, { items: reads++ === 0 ? [] : records }),
    ...extra,
  })
  const p = await mountPage(GrantedToMeView, { path: '/locker/granted', auth: fakeAuth({ me: async () => bankOfficer }), fetch: api.fetch })
  await useSession().ensureLoaded()
  await flushPromises()
  return { ...p, api }
}

beforeEach(() => {
  URL.createObjectURL = vi.fn(() => 'blob:granted')
  URL.revokeObjectURL = vi.fn()
})

// Each test mounts Element Plus and waits for the page; on the shared machine
// under load these views take seconds, hence the 20 s timeouts.
describe('GrantedToMeView', () => {
  it('lists what was granted to the department, active first, and reads an asset with a reason and the department key password', async () => {
    const { wrapper, api } = await mountGranted()
    await vi.waitFor(() => expect(wrapper.findAll('.received .el-table__body-wrapper .el-table__row')).toHaveLength(2))
    expect(wrapper.find('.grantee').text()).toBe('BankMSP')
    const rows = wrapper.findAll('.received .el-table__body-wrapper .el-table__row')
    expect(rows[0]!.text()).toContain('营业执照')
    expect(rows[0]!.find('.grant-status').text()).toBe('有效')
    expect(rows[1]!.find('.grant-status').text()).toBe('已撤销')
    expect(rows[1]!.findAll('button')).toHaveLength(0)

    await rows[0]!.findAll('button').find((b) => b.text() === '说明事由并读取')!.trigger('click')
    await flushPromises()
    const form = () => document.querySelector('.el-dialog form') as HTMLFormElement
    form().dispatchEvent(new Event('submit'))
    await flushPromises()
    await vi.waitFor(() => expect([...document.querySelectorAll('.el-dialog .el-form-item__error')].map((e) => e.textContent)).toEqual(['请填写查看事由', '请填写本部门（机构）密钥密码']))
    const set = (name: string, v: string) => {
      const el = document.querySelector(`.el-dialog [name="${name}"]`) as HTMLInputElement
      el.value = v
      el.dispatchEvent(new Event('input'))
    }
    set('reason', '开户资料核验')
    set('keyPassword', 'bank key pw')
    form().dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(api.calls.find((c) => c.key.endsWith('/view'))!.body).toEqual({ member: 'BankMSP', password: 'bank key pw', grant: 'g2', reason: '开户资料核验', action: 'view' })
    await vi.waitFor(() => expect(wrapper.find('[data-test="recorded"]').text()).toContain('区块 77'))
    expect(wrapper.find('pre.text').text()).toContain('text')
    await vi.waitFor(() => expect(wrapper.find('.access-records .el-table__body-wrapper').text()).toContain('BankMSP'))
  }, 20_000)

  it('says plainly that a department without a chain member holds no grants', async () => {
    const { wrapper } = await mountGranted({
      'GET /api/v1/locker-grants': () => problemResponse(404, { type: 'urn:kaiban:problem:not-found', detail: 'department "operator" has no chain member' }),
    })
    await vi.waitFor(() => expect(wrapper.find('.no-member').text()).toContain('您所在的部门不是联盟成员'))
  }, 20_000)
})
