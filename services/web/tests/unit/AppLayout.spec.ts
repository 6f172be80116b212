// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import App from '@/App.vue'
import { alice, fakeAuth, mountPage } from './helpers'

describe('the signed-in frame', () => {
  it('sends a visitor without a session to the login page', async () => {
    const { router } = await mountPage(App, { path: '/somewhere' })
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/somewhere')
  })

  it('shows the user, masked as the API gave the name, and the menu', async () => {
    const { wrapper } = await mountPage(App, { path: '/', auth: fakeAuth({ me: async () => alice }) })
    expect(wrapper.find('.header').text()).toContain('张**')
    expect(wrapper.find('nav[aria-label="主菜单"]').text()).toContain('首页')
    expect(wrapper.find('a.skip-link').attributes('href')).toBe('#main')
    expect(wrapper.find('main#main').attributes('tabindex')).toBe('-1')
  })

  it('shows in the menu only the pages the permissions allow', async () => {
    const usersOnly = { ...alice, permissions: [{ resource: 'identity.users', action: 'read' }] }
    const { wrapper } = await mountPage(App, { path: '/', auth: fakeAuth({ me: async () => usersOnly }) })
    const nav = wrapper.find('nav[aria-label="主菜单"]')
    expect(nav.text()).toContain('系统管理')
    expect(nav.text()).toContain('人员管理')
    expect(nav.text()).not.toContain('角色权限')
    const none = await mountPage(App, { path: '/', auth: fakeAuth({ me: async () => ({ ...alice, permissions: [] }) }) })
    expect(none.wrapper.find('nav[aria-label="主菜单"]').text()).not.toContain('系统管理')
  })

  it('shows no permission, not the page, at the address of a page the user may not use', async () => {
    const { wrapper } = await mountPage(App, { path: '/admin/roles', auth: fakeAuth({ me: async () => alice }) })
    expect(wrapper.text()).toContain('无权访问')
  })

  it('keeps a user who must change the password on the password page', async () => {
    const { router, wrapper } = await mountPage(App, {
      path: '/',
      auth: fakeAuth({ me: async () => ({ ...alice, mustChangePassword: true }) }),
    })
    expect(router.currentRoute.value.name).toBe('password')
    expect(wrapper.text()).toContain('需先修改密码')
  })

  it('answers an unknown path inside the portal with not found', async () => {
    const { wrapper } = await mountPage(App, { path: '/no/such/page', auth: fakeAuth({ me: async () => alice }) })
    expect(wrapper.text()).toContain('页面不存在')
  })
})
