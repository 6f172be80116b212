// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { ElMessageBox } from 'element-plus'
import { afterEach, describe, expect, it, vi } from 'vitest'
import LockerHoldersView from '@/areas/locker/LockerHoldersView.vue'
import { useLockerSession } from '@/areas/locker/store'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'
import { applicant, gateRoutes, lockerId, openGate } from './fixtures'

const other = '00000000-0000-4000-8000-0000000000c2'
const holders = {
  items: [
    { userId: applicant.id, login: 'holder', name: '张**', since: '2026-11-24T10:00:00Z' },
    { userId: other, login: 'second-holder', name: '李*', since: '2026-11-24T11:00:00Z' },
  ],
}

async function mountHolders(extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    ...gateRoutes,
    [`GET /api/v1/lockers/${lockerId}/holders`]: () => jsonResponse(200, holders),
    [`DELETE /api/v1/lockers/${lockerId}/holders/me`]: () => new Response(null, { status: 204 }),
    [`GET /api/v1/lockers/${lockerId}/assets`]: () => jsonResponse(200, { items: [] }),
    ...extra,
  })
  const page = await mountPage(LockerHoldersView, { path: '/locker/holders', auth: fakeAuth({ me: async () => applicant }), fetch: api.fetch })
  await useSession().ensureLoaded()
  await flushPromises()
  return { ...page, api }
}

afterEach(() => vi.restoreAllMocks())

// Element Plus pages take seconds on the shared machine, hence 20 s timeouts.
describe('LockerHoldersView', () => {
  it('lists the holders with masked names, logins and since when, marking the signed-in person', async () => {
    const { wrapper, api } = await mountHolders()
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.findAll('.holders .el-table__body-wrapper .el-table__row')).toHaveLength(2))
    const rows = wrapper.findAll('.holders .el-table__body-wrapper .el-table__row')
    expect(rows[0]!.text()).toContain('张**')
    expect(rows[0]!.text()).toContain('本人')
    expect(rows[0]!.text()).toContain('holder')
    expect(rows[1]!.text()).toContain('李*')
    expect(rows[1]!.text()).toContain('second-holder')
    expect(rows[1]!.text()).toContain(other)
    expect(rows[1]!.text()).not.toContain('本人')
    expect(api.calls.map((c) => c.key)).toContain(`GET /api/v1/lockers/${lockerId}/holders`)
  }, 20_000)

  it('asks before leaving; cancelled, nothing is sent', async () => {
    const confirm = vi.spyOn(ElMessageBox, 'confirm').mockRejectedValue('cancel')
    const { wrapper, api } = await mountHolders()
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.find('button.leave').exists()).toBe(true))
    await wrapper.find('button.leave').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledOnce()
    expect(String(confirm.mock.calls[0]![0])).toContain('济南市明湖信息技术有限公司')
    expect(api.calls.map((c) => c.key)).not.toContain(`DELETE /api/v1/lockers/${lockerId}/holders/me`)
    expect(useLockerSession().opened).toBe(true)
  }, 20_000)

  it('leaves once confirmed: the holding is given up, the locker closed and the password forgotten', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const { wrapper, api, router } = await mountHolders()
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.find('button.leave').exists()).toBe(true))
    await wrapper.find('button.leave').trigger('click')
    await flushPromises()
    await vi.waitFor(() => expect(api.calls.map((c) => c.key)).toContain(`DELETE /api/v1/lockers/${lockerId}/holders/me`))
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('locker-assets'))
    expect(useLockerSession().opened).toBe(false)
    expect(useLockerSession().password).toBe('')
    expect(document.body.textContent).toContain('已退出持有“济南市明湖信息技术有限公司”')
  }, 20_000)

  it('says so when the holding had already ended, and closes the locker all the same', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const { wrapper } = await mountHolders({
      [`DELETE /api/v1/lockers/${lockerId}/holders/me`]: () => problemResponse(404, { type: 'urn:kaiban:problem:not-found' }),
    })
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.find('button.leave').exists()).toBe(true))
    await wrapper.find('button.leave').trigger('click')
    await flushPromises()
    await vi.waitFor(() => expect(document.body.textContent).toContain('您已不是该保险箱的持有人'))
    expect(useLockerSession().opened).toBe(false)
  }, 20_000)

  it('keeps the locker open and says why when leaving fails otherwise', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const { wrapper } = await mountHolders({
      [`DELETE /api/v1/lockers/${lockerId}/holders/me`]: () =>
        problemResponse(503, { type: 'urn:kaiban:problem:unavailable', detail: 'the locker does not run in this process' }),
    })
    await openGate(wrapper)
    await vi.waitFor(() => expect(wrapper.find('button.leave').exists()).toBe(true))
    await wrapper.find('button.leave').trigger('click')
    await flushPromises()
    await vi.waitFor(() => expect(document.body.textContent).toContain('the locker does not run in this process'))
    expect(useLockerSession().opened).toBe(true)
  }, 20_000)
})
