// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import LockerAssetsView from '@/areas/locker/LockerAssetsView.vue'
import { useLockerSession } from '@/areas/locker/store'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'
import { applicant, assets, gateRoutes, holding, lockerId, openGate } from './fixtures'

async function mountAssets(extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    ...gateRoutes,
    [`GET /api/v1/lockers/${lockerId}/assets`]: () => jsonResponse(200, assets),
    ...extra,
  })
  const page = await mountPage(LockerAssetsView, { path: '/locker', auth: fakeAuth({ me: async () => applicant }), fetch: api.fetch })
  await useSession().ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

// Each test mounts Element Plus and waits for the page; on the shared machine
// under load these views take seconds, hence the 20 s timeouts.
describe('LockerAssetsView', () => {
  it('asks for the locker ID and unlock password first, and names an unknown locker next to its field', async () => {
    const { wrapper, api } = await mountAssets({
      [`POST /api/v1/lockers/${lockerId}/holders`]: () => problemResponse(404, { type: 'urn:kaiban:problem:not-found' }),
    })
    expect(wrapper.text()).toContain('打开数字保险箱')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.findAll('.el-form-item__error').map((e) => e.text())).toEqual(['请填写保险箱编号', '请填写开箱密码']))
    expect(api.calls.map((c) => c.key)).toEqual(['GET /api/v1/locker-holdings'])
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.find('.el-form-item__error').text()).toBe('没有该编号的保险箱'))
    expect(useLockerSession().opened).toBe(false)
  }, 20_000)

  it('opens the locker, keeps the password in memory only, and lists the assets by type with status and latest transaction', async () => {
    const { wrapper, api } = await mountAssets()
    await openGate(wrapper, 'secret unlock 9')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row').length).toBeGreaterThan(0))
    expect(useLockerSession().password).toBe('secret unlock 9')
    for (const store of [localStorage, sessionStorage]) {
      for (let i = 0; i < store.length; i++) expect(store.getItem(store.key(i)!)).not.toContain('secret unlock 9')
    }
    expect(document.cookie).not.toContain('secret')
    expect(wrapper.text()).toContain('济南市明湖信息技术有限公司')
    expect(wrapper.text()).toContain('已生效')
    const rows = wrapper.findAll('.el-table__body-wrapper .el-table__row')
    expect(rows).toHaveLength(3)
    expect(rows[0]!.text()).toContain('营业执照')
    expect(rows[0]!.text()).toContain('可信（已生效）')
    expect(rows[0]!.text()).toContain('部门签发')
    expect(rows[0]!.text()).toContain('tx-updat')
    expect(rows[2]!.text()).toContain('待部门审核')
    expect(rows[2]!.text()).toContain('自主上传')
    // One tab per type, with counts.
    const tabs = wrapper.findAll('.el-tabs__item').map((t) => t.text())
    expect(tabs).toEqual(['全部 (3)', '营业执照 (1)', '涉税事项告知单 (1)', 'articles-of-association (1)'])
    expect(api.calls.map((c) => c.key)).toContain(`GET /api/v1/lockers/${lockerId}/assets`)
  }, 20_000)

  it('closes the locker and forgets the password', async () => {
    const { wrapper } = await mountAssets()
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.text()).toContain('关闭保险箱'))
    await wrapper.findAll('button').find((b) => b.text() === '关闭保险箱')!.trigger('click')
    await flushPromises()
    expect(useLockerSession().password).toBe('')
    expect(wrapper.text()).toContain('打开数字保险箱')
  }, 20_000)

  it('binds the person to the locker by proving the unlock password, which the server checks', async () => {
    const { wrapper, api } = await mountAssets()
    await openGate(wrapper, 'secret unlock 9')
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row').length).toBeGreaterThan(0))
    const bind = api.calls.find((c) => c.key === `POST /api/v1/lockers/${lockerId}/holders`)
    expect(bind?.body).toEqual({ password: 'secret unlock 9' })
    // The locker comes from the binding; no separate read of it.
    expect(api.calls.map((c) => c.key)).not.toContain(`GET /api/v1/lockers/${lockerId}`)
  }, 20_000)

  it('names a wrong unlock password, and a locked locker, next to the password field and keeps nothing', async () => {
    let answer = 403
    const { wrapper } = await mountAssets({
      [`POST /api/v1/lockers/${lockerId}/holders`]: () =>
        problemResponse(answer, { type: answer === 403 ? 'urn:kaiban:problem:denied' : 'urn:kaiban:problem:rate-limited' }),
    })
    await openGate(wrapper, 'wrong password')
    await vi.waitFor(() => expect(wrapper.findAll('.el-form-item__error').map((e) => e.text())).toEqual(['开箱密码不正确（连续输错将暂时锁定）']))
    expect(useLockerSession().opened).toBe(false)
    expect(useLockerSession().password).toBe('')
    answer = 429
    await openGate(wrapper, 'wrong again')
    await vi.waitFor(() => expect(wrapper.find('.el-form-item__error').text()).toBe('开箱密码输错次数过多，保险箱已暂时锁定，请稍后再试'))
    expect(useLockerSession().opened).toBe(false)
  }, 20_000)

  it('lists my lockers from the bindings; picking one fills in its ID', async () => {
    const { wrapper } = await mountAssets({
      'GET /api/v1/locker-holdings': () => jsonResponse(200, { items: [holding] }),
    })
    await vi.waitFor(() => expect(wrapper.find('.holdings').exists()).toBe(true))
    expect(wrapper.text()).toContain('我的保险箱')
    const item = wrapper.find('.holdings li')
    expect(item.text()).toContain('济南市明湖信息技术有限公司')
    expect(item.text()).toContain(lockerId)
    expect(item.text()).toContain('已生效')
    await item.find('button.holding').trigger('click')
    expect((wrapper.find('input[name="lockerId"]').element as HTMLInputElement).value).toBe(lockerId)
  }, 20_000)
})
