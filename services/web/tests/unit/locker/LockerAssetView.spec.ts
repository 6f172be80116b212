// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { ElMessageBox } from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import LockerAssetView from '@/areas/locker/LockerAssetView.vue'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'
import { applicant, assets, licenceId, lockerId, gateRoutes, openGate } from './fixtures'

const pdf = btoa('%PDF-1.7\n营业执照'.replace(/[^\x00-\x7f]/g, 'x'))
const access = { id: 'acc-1', asset: licenceId, accessor: lockerId, action: 'view', reason: '办理银行开户', time: '2026-11-24T10:00:01.5Z', txId: 'tx-view-0001' }
const grant = {
  id: 'g1', kind: 'authorization', asset: licenceId, grantor: lockerId, grantee: 'BankMSP', scope: 'view', purpose: '开户审核',
  status: 'active', expiresAt: '2999-01-01T00:00:00Z',
}

function page(extra: Parameters<typeof fakeApi>[0] = {}) {
  let records: unknown[] = []
  let grants: unknown[] = []
  let codes: Record<string, unknown>[] = []
  const a = `/api/v1/locker-assets/${licenceId}`
  const api = fakeApi({
    ...gateRoutes,
    [`GET /api/v1/lockers/${lockerId}/assets`]: () => jsonResponse(200, assets),
    [`GET ${a}/status`]: () => jsonResponse(200, { asset: licenceId, status: 'available' }),
    [`GET ${a}/latest-tx`]: () => jsonResponse(200, { asset: licenceId, txId: 'tx-chain-latest' }),
    [`GET ${a}/encryption`]: () => jsonResponse(200, { asset: licenceId, encryption: 'sm2' }),
    [`GET ${a}/access-records`]: () => jsonResponse(200, { items: records }),
    [`GET ${a}/grants`]: () => jsonResponse(200, { items: grants }),
    [`POST ${a}/view`]: () => {
      records = [{ ...access, block: 42 }]
      return jsonResponse(200, { asset: licenceId, type: 'business-licence', content: pdf, access, block: 42 })
    },
    [`POST ${a}/grants`]: () => {
      grants = [grant]
      return jsonResponse(201, grant)
    },
    [`GET ${a}/auth-codes`]: () => jsonResponse(200, { items: codes }),
    [`POST ${a}/auth-codes`]: () => {
      const ac = { id: 'code-1', asset: licenceId, owner: lockerId, scope: 'view', purpose: '银行核验', status: 'active', expiresAt: '2999-01-01T00:00:00Z', salt: 's', hash: 'h' }
      codes = [ac]
      return jsonResponse(201, { code: '0123456789abcdef0123456789abcdef', authCode: ac })
    },
    'POST /api/v1/locker-auth-codes/code-1/revoke': () => {
      codes = [{ ...codes[0], status: 'revoked' }]
      return jsonResponse(200, codes[0])
    },
    'POST /api/v1/locker-grants/g1/revoke': () => {
      grants = [{ ...grant, status: 'revoked' }]
      return jsonResponse(200, grants[0])
    },
    ...extra,
  })
  return api
}

async function mountAsset(api: ReturnType<typeof fakeApi>) {
  const p = await mountPage(LockerAssetView, {
    path: `/locker/assets/${licenceId}`,
    props: { assetId: licenceId },
    auth: fakeAuth({ me: async () => applicant }),
    fetch: api.fetch,
  })
  await useSession().ensureLoaded()
  await flushPromises()
  await openGate(p.wrapper, 'unlock pw 7')
  await vi.waitFor(() => expect(p.wrapper.text()).toContain('tx-chain-latest'))
  return p
}

beforeEach(() => {
  URL.createObjectURL = vi.fn(() => 'blob:preview')
  URL.revokeObjectURL = vi.fn()
})

// Each test mounts Element Plus and waits for the page; on the shared machine
// under load these views take seconds, hence the 20 s timeouts.
describe('LockerAssetView', () => {
  it('shows what the chain answers now about the asset', async () => {
    const { wrapper } = await mountAsset(page())
    expect(wrapper.find('h1').text()).toBe('营业执照')
    expect(wrapper.find('.chain-status').text()).toBe('可信（已生效）')
    expect(wrapper.text()).toContain('SM2 非对称')
  }, 20_000)

  it('refuses a view without a reason next to the field, asking nothing of the API', async () => {
    const api = page()
    const { wrapper } = await mountAsset(api)
    await wrapper.find('.view-form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('.view-form .el-form-item__error').text()).toBe('请填写查看事由'))
    expect(api.calls.some((c) => c.key.endsWith('/view'))).toBe(false)
  }, 20_000)

  it('views with a reason: the password and reason go to the API, the PDF shows in the page, the access is listed with its block', async () => {
    const api = page()
    const { wrapper } = await mountAsset(api)
    await wrapper.find('input[name="reason"]').setValue('办理银行开户')
    await wrapper.find('.view-form').trigger('submit')
    await flushPromises()
    const call = api.calls.find((c) => c.key === `POST /api/v1/locker-assets/${licenceId}/view`)!
    expect(call.body).toEqual({ subject: lockerId, password: 'unlock pw 7', reason: '办理银行开户', action: 'view' })
    await vi.waitFor(() => expect(wrapper.find('[data-test="recorded"]').text()).toBe('已在链上记录本次查看：区块 42，交易 tx-view-0001'))
    expect(wrapper.find('iframe.pdf').attributes('src')).toBe('blob:preview')
    expect(wrapper.find('a.download').attributes('download')).toBe(`business-licence-${licenceId.slice(0, 8)}.pdf`)
    await vi.waitFor(() => expect(wrapper.find('.access-records .el-table__body-wrapper').text()).toContain('办理银行开户'))
    const row = wrapper.find('.access-records .el-table__body-wrapper .el-table__row').text()
    expect(row).toContain('42')
    expect(row).toContain('tx-view-00')
    expect(wrapper.find('.access-records time').attributes('datetime')).toBe(access.time)
  }, 20_000)

  it('says a refused view is most often a wrong unlock password', async () => {
    const { wrapper } = await mountAsset(
      page({ [`POST /api/v1/locker-assets/${licenceId}/view`]: () => problemResponse(403, { type: 'urn:kaiban:problem:denied', detail: 'wrong password' }) }),
    )
    await wrapper.find('input[name="reason"]').setValue('核对')
    await wrapper.find('.view-form').trigger('submit')
    await vi.waitFor(() => expect(document.body.textContent).toContain('开箱密码不正确'))
    expect(wrapper.find('iframe').exists()).toBe(false)
  }, 20_000)

  it('grants the bank a view with purpose and expiry, and revokes it with a note', async () => {
    const api = page()
    const { wrapper } = await mountAsset(api)
    await vi.waitFor(() => expect(wrapper.text()).toContain('尚未授权给任何人'))
    await wrapper.findAll('button').find((b) => b.text() === '授权 / 委托')!.trigger('click')
    await flushPromises()
    const dialog = () => document.querySelector('.el-dialog form') as HTMLFormElement
    const purpose = document.querySelector('.el-dialog input[name="purpose"]') as HTMLInputElement
    purpose.value = '开户审核'
    purpose.dispatchEvent(new Event('input'))
    dialog().dispatchEvent(new Event('submit'))
    await flushPromises()
    const call = api.calls.find((c) => c.key === `POST /api/v1/locker-assets/${licenceId}/grants`)!
    expect(call.body).toMatchObject({ grantor: lockerId, password: 'unlock pw 7', grantee: 'BankMSP', granteeMember: true, kind: 'authorization', scope: 'view', purpose: '开户审核', push: false })
    expect(new Date((call.body as { expiresAt: string }).expiresAt).getTime()).toBeGreaterThan(Date.now())
    await vi.waitFor(() => expect(wrapper.find('.grants .grant-status').text()).toBe('有效'))

    vi.spyOn(ElMessageBox, 'prompt').mockResolvedValue({ value: '开户完成', action: 'confirm' } as never)
    await wrapper.findAll('.grants button').find((b) => b.text() === '撤销')!.trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.key === 'POST /api/v1/locker-grants/g1/revoke')!.body).toEqual({ owner: lockerId, password: 'unlock pw 7', note: '开户完成' })
    await vi.waitFor(() => expect(wrapper.find('.grants .grant-status').text()).toBe('已撤销'))
  }, 20_000)

  it('issues an authorization code shown once, lists it as the chain keeps it, and revokes it', async () => {
    const api = page()
    const { wrapper } = await mountAsset(api)
    await vi.waitFor(() => expect(wrapper.text()).toContain('尚未生成授权码'))
    await wrapper.find('.code-form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('.code-form .el-form-item__error').text()).toBe('请填写用途'))
    await wrapper.find('input[name="codePurpose"]').setValue('银行核验')
    await wrapper.find('.code-form').trigger('submit')
    await flushPromises()
    const call = api.calls.find((c) => c.key === `POST /api/v1/locker-assets/${licenceId}/auth-codes`)!
    expect(call.body).toMatchObject({ owner: lockerId, password: 'unlock pw 7', purpose: '银行核验', scope: 'view' })
    await vi.waitFor(() => expect(wrapper.find('.code').text()).toBe('0123456789abcdef0123456789abcdef'))
    await vi.waitFor(() => expect(wrapper.find('.codes .code-status').text()).toBe('有效'))
    vi.spyOn(ElMessageBox, 'prompt').mockResolvedValue({ value: '不再需要', action: 'confirm' } as never)
    await wrapper.findAll('.codes button').find((b) => b.text() === '作废')!.trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.key === 'POST /api/v1/locker-auth-codes/code-1/revoke')!.body).toEqual({ owner: lockerId, password: 'unlock pw 7', note: '不再需要' })
    await vi.waitFor(() => expect(wrapper.find('.codes .code-status').text()).toBe('已撤销'))
  }, 20_000)
})
