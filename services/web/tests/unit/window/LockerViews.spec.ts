// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import LockerStatusView from '@/areas/window/LockerStatusView.vue'
import OpenLockerView from '@/areas/window/OpenLockerView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const clerk = { ...alice, login: 'wang', roles: ['clerk'], permissions: perm('intake:read', 'intake:write', 'locker:open', 'locker:read') }
const officer = { ...alice, login: 'li', roles: ['officer'], permissions: perm('locker:read', 'locker:review') }
const id = '0123456789abcdef0123456789abcdef'
const base = { id, kind: 'enterprise', name: '济南市明湖信息技术有限公司', clerkId: 'wang', applyWrite: `locker/${id}/apply`, createdAt: '2026-11-24T08:00:00Z', legalRepresentativeName: '张*', legalRepresentativeId: '3701**********4518' }

async function fill(wrapper: Awaited<ReturnType<typeof mountPage>>['wrapper'], name: string, value: string) {
  const input = wrapper.find(`[name="${name}"]`)
  await input.setValue(value)
  await input.trigger('blur')
  await flushPromises()
}
const errorOf = (wrapper: Awaited<ReturnType<typeof mountPage>>['wrapper'], name: string) =>
  wrapper.find(`[name="${name}"]`).element.closest('.el-form-item')!.querySelector('.el-form-item__error')?.textContent?.trim() ?? ''

describe('OpenLockerView', { timeout: 20_000 }, () => {
  it('checks the legal representative’s ID number and the passwords before sending', async () => {
    const api = fakeApi({})
    const { wrapper } = await mountPage(OpenLockerView, { path: '/window/lockers/new', auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch })
    await fill(wrapper, 'repId', '110105194912310021')
    await vi.waitFor(() => expect(errorOf(wrapper, 'repId')).toBe('身份证号码校验位错误（按 GB 11643-1999 应为 X）'))
    await fill(wrapper, 'unlockPassword', 'short')
    await fill(wrapper, 'confirmPassword', 'other')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(errorOf(wrapper, 'unlockPassword')).toBe('开箱密码至少 8 位'))
    await vi.waitFor(() => expect(errorOf(wrapper, 'confirmPassword')).toBe('两次输入的开箱密码不一致'))
    await vi.waitFor(() => expect(errorOf(wrapper, 'enterpriseName')).toBe('必填'))
    expect(api.calls).toEqual([])
  })

  it('opens the locker with the clerk’s name and goes to its status; a refusal is shown in words', async () => {
    let refuse = true
    const api = fakeApi({
      'POST /api/v1/lockers': () =>
        refuse
          ? problemResponse(409, { type: 'urn:kaiban:problem:conflict', detail: 'open locker: a locker for this enterprise exists' })
          : jsonResponse(202, { ...base, status: 'submitted' }),
      [`GET /api/v1/lockers/${id}`]: () => jsonResponse(200, { ...base, status: 'submitted' }),
    })
    const { wrapper, router } = await mountPage(OpenLockerView, { path: '/window/lockers/new', auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch })
    const session = (await import('@/auth/session')).useSession()
    await session.ensureLoaded()
    await fill(wrapper, 'enterpriseName', '济南市明湖信息技术有限公司')
    await fill(wrapper, 'repName', '张三')
    await fill(wrapper, 'repId', '11010519491231002X')
    await fill(wrapper, 'unlockPassword', 'applicant-secret-1')
    await fill(wrapper, 'confirmPassword', 'applicant-secret-1')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('[role="alert"]').text()).toContain('a locker for this enterprise exists'))
    refuse = false
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(api.calls.at(-1)!.body).toEqual({
      kind: 'enterprise',
      enterprise: { name: '济南市明湖信息技术有限公司' },
      legalRepresentative: { name: '张三', idNumber: '11010519491231002X' },
      clerkId: 'wang',
      password: 'applicant-secret-1',
    })
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/window/lockers/${id}`))
  })
})

describe('LockerStatusView', () => {
  it('follows the status until the locker is active, then leads to the form', async () => {
    const answers = ['submitted', 'pending', 'active']
    const api = fakeApi({ [`GET /api/v1/lockers/${id}`]: () => jsonResponse(200, { ...base, status: answers.shift() ?? 'active' }) })
    const { wrapper } = await mountPage(LockerStatusView, { path: `/window/lockers/${id}`, props: { id, pollMs: 5 }, auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch })
    const session = (await import('@/auth/session')).useSession()
    await session.ensureLoaded()
    expect(wrapper.text()).toContain('3701**********4518')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="locker-status"]').attributes('data-status')).toBe('active'))
    expect(wrapper.text()).toContain('已生效')
    expect(wrapper.find(`a[href="/window/establish?applicant=${id}"]`).exists()).toBe(true)
    const polls = api.calls.length
    await new Promise((r) => setTimeout(r, 30))
    expect(api.calls.length).toBe(polls) // settled: no more polling
  })

  it('lets a reviewer approve a pending opening', async () => {
    const api = fakeApi({
      [`GET /api/v1/lockers/${id}`]: () => jsonResponse(200, { ...base, status: 'pending' }),
      [`POST /api/v1/lockers/${id}/review`]: () => jsonResponse(202, { ...base, status: 'pending', reviewWrite: `locker/${id}/review` }),
    })
    const { wrapper } = await mountPage(LockerStatusView, { path: `/window/lockers/${id}`, props: { id, pollMs: 60_000 }, auth: fakeAuth({ me: async () => officer }), fetch: api.fetch })
    const session = (await import('@/auth/session')).useSession()
    await session.ensureLoaded()
    await flushPromises()
    const approve = wrapper.findAll('button').find((b) => b.text() === '审核通过')!
    await approve.trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.key.startsWith('POST'))!.body).toEqual({ approve: true })
    expect(wrapper.findAll('button').some((b) => b.text() === '审核通过')).toBe(false)
  })

  it('tells a clerk without the review permission that the opening waits for a reviewer', async () => {
    const api = fakeApi({ [`GET /api/v1/lockers/${id}`]: () => jsonResponse(200, { ...base, status: 'pending' }) })
    const { wrapper } = await mountPage(LockerStatusView, { path: `/window/lockers/${id}`, props: { id, pollMs: 60_000 }, auth: fakeAuth({ me: async () => clerk }), fetch: api.fetch })
    await flushPromises()
    expect(wrapper.text()).toContain('等待审核人员审核')
    expect(wrapper.text()).not.toContain('审核通过')
  })
})
