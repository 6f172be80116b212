// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { LoginError } from '@/auth/api'
import { ApiError } from '@/api/problem'
import LoginView from '@/views/LoginView.vue'
import { alice, fakeAuth, mountPage } from './helpers'

async function fill(w: Awaited<ReturnType<typeof mountPage>>['wrapper'], login: string, password: string) {
  await w.find('input[name="username"]').setValue(login)
  await w.find('input[name="password"]').setValue(password)
  await w.find('form').trigger('submit')
  await flushPromises()
}

describe('LoginView', () => {
  it("is in Chinese, and shows the API's field errors next to their fields", async () => {
    const login = vi.fn(async () => {
      throw new ApiError({
        type: 'urn:kaiban:problem:invalid',
        title: 'Invalid request',
        status: 400,
        errors: [{ in: 'body', field: '/login', detail: 'does not match the pattern' }],
      })
    })
    const { wrapper } = await mountPage(LoginView, { path: '/login', auth: fakeAuth({ login }) })
    expect(wrapper.find('h1').text()).toBe('用户登录')
    await fill(wrapper, 'a b', 'secret')
    const items = wrapper.findAll('.el-form-item')
    await vi.waitFor(() => expect(items[0]!.find('.el-form-item__error').text()).toBe('does not match the pattern'))
    expect(items[1]!.find('.el-form-item__error').exists()).toBe(false)
  })

  it('signs in and goes where the user was going', async () => {
    const login = vi.fn(async () => ({ kind: 'signed-in' as const, me: alice }))
    const { wrapper, router } = await mountPage(LoginView, { path: '/login?redirect=/password', auth: fakeAuth({ login }) })
    await fill(wrapper, ' alice ', 'secret')
    expect(login).toHaveBeenCalledWith({ login: 'alice', password: 'secret' })
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/password'))
  })

  it('never redirects out of the portal', async () => {
    const { wrapper, router } = await mountPage(LoginView, { path: '/login?redirect=//evil.example/x' })
    await fill(wrapper, 'alice', 'secret')
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/'))
  })

  it('sends a user who must change the password to the password page', async () => {
    const login = vi.fn(async () => ({ kind: 'signed-in' as const, me: { ...alice, mustChangePassword: true } }))
    const { wrapper, router } = await mountPage(LoginView, { path: '/login', auth: fakeAuth({ login }) })
    await fill(wrapper, 'alice', 'initial-password')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('password'))
  })

  it('asks for the one-time code in a second step', async () => {
    const login = vi
      .fn()
      .mockResolvedValueOnce({ kind: 'code-required' })
      .mockResolvedValueOnce({ kind: 'signed-in', me: alice })
    const { wrapper, router } = await mountPage(LoginView, { path: '/login', auth: fakeAuth({ login }) })
    await fill(wrapper, 'alice', 'secret')
    const code = wrapper.find('input[name="one-time-code"]')
    expect(code.exists()).toBe(true)
    expect(code.attributes('autocomplete')).toBe('one-time-code')
    expect(wrapper.text()).toContain('该账号已启用双因素认证')
    await code.setValue('123456')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(login).toHaveBeenLastCalledWith({ login: 'alice', password: 'secret', code: '123456' })
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/'))
  })

  it('says the credentials are wrong without saying which', async () => {
    const login = vi.fn(async () => {
      throw new LoginError('invalid')
    })
    const { wrapper } = await mountPage(LoginView, { path: '/login', auth: fakeAuth({ login }) })
    await fill(wrapper, 'alice', 'wrong')
    expect(wrapper.find('[role="alert"]').text()).toContain('账号、密码或验证码不正确')
    expect((wrapper.find('input[name="password"]').element as HTMLInputElement).value).toBe('')
  })

  it('says the account is locked, and for how long', async () => {
    const login = vi.fn(async () => {
      throw new LoginError('locked', 840)
    })
    const { wrapper } = await mountPage(LoginView, { path: '/login', auth: fakeAuth({ login }) })
    await fill(wrapper, 'alice', 'wrong')
    expect(wrapper.find('[role="alert"]').text()).toContain('请 14 分钟后再试')
  })

  it('speaks English when asked', async () => {
    const { wrapper } = await mountPage(LoginView, { path: '/login', locale: 'en' })
    expect(wrapper.find('h1').text()).toBe('Sign in')
    expect(wrapper.find('button[type="submit"]').text()).toBe('Sign in')
  })
})
