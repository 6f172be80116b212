// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import ClientsView from '@/areas/isv/ClientsView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const sysadmin = { ...alice, roles: ['sysadmin'], permissions: perm('identity.clients:read', 'identity.clients:apply', 'identity.clients:issue') }
const secadmin = { ...alice, roles: ['secadmin'], permissions: perm('identity.clients:read', 'identity.clients:review', 'identity.clients:revoke') }

const pending = {
  id: '11111111-1111-4111-8111-111111111111', name: '税务对接', department: 'tax', vendor: '某公司', purpose: '对接',
  status: 'pending', roles: [], appliedAt: '2026-11-01T00:00:00Z', reviewNote: '', credentials: [],
}
const approved = { ...pending, status: 'approved', roles: ['department-system'], reviewedAt: '2026-11-01T01:00:00Z' }
const cred = { id: 'kbk_' + '0'.repeat(32), kind: 'hmac-sm3', createdAt: '2026-11-01T02:00:00Z' }
const base = '/api/v1/api-clients/' + pending.id

async function open(me: typeof alice, client: object, extra: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/api-clients': () => jsonResponse(200, { items: [client] }),
    'GET /api/v1/api-access': () => jsonResponse(200, { production: 'https://api.example.cn/api/v1', docs: '/docs' }),
    ...extra,
  })
  const page = await mountPage(ClientsView, { path: '/isv/clients', auth: fakeAuth({ me: async () => me }), fetch: api.fetch })
  await (await import('@/auth/session')).useSession().ensureLoaded()
  await flushPromises()
  await vi.waitFor(() => expect(page.wrapper.findAll('.el-table__row')).toHaveLength(1))
  return { ...page, api }
}
const button = (w: { findAll: (s: string) => { text: () => string; trigger: (e: string) => Promise<void> }[] }, text: string) =>
  w.findAll('button').find((b) => b.text() === text)!

describe('ClientsView', { timeout: 20_000 }, () => {
  it('shows the endpoints integrators connect to and links the OpenAPI docs', async () => {
    const { wrapper } = await open(sysadmin, pending)
    expect(wrapper.find('[data-testid="endpoint-production"]').text()).toBe('https://api.example.cn/api/v1')
    // Not configured: the portal's own origin.
    expect(wrapper.find('[data-testid="endpoint-test"]').text()).toBe(`${location.origin}/api/v1`)
    expect(wrapper.find('a[href$="/docs"]').exists()).toBe(true)
    expect(wrapper.text()).toContain('接入申请')
  })

  it('lets the security administrator review, not the system administrator', async () => {
    const asSys = await open(sysadmin, pending)
    await button(asSys.wrapper, '详情').trigger('click')
    await flushPromises()
    expect(document.body.textContent).toContain('等待安全管理员审核')
    expect([...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === '批准')).toBe(false)
    asSys.wrapper.unmount()

    const { wrapper, api } = await open(secadmin, pending, {
      [`POST ${base}/review`]: () => jsonResponse(200, approved),
      'GET /api/v1/roles': () => jsonResponse(200, { items: [] }),
    })
    expect(wrapper.text()).not.toContain('接入申请')
    await button(wrapper, '详情').trigger('click')
    await flushPromises()
    const approve = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === '批准')!
    approve.click()
    await flushPromises()
    const review = api.calls.find((c) => c.key === `POST ${base}/review`)!
    expect(review.body).toEqual({ approve: true, roles: ['department-system'] })
    expect(document.querySelector('[data-testid="client-status"]')!.textContent).toContain('已批准')
  })

  it('shows an issued secret once', async () => {
    const { wrapper, api } = await open(sysadmin, approved, {
      [`POST ${base}/credentials`]: () => jsonResponse(201, { clientId: pending.id, credential: cred, secret: 'c2VjcmV0LXNlY3JldA==' }),
      [`GET ${base}`]: () => jsonResponse(200, { ...approved, credentials: [cred] }),
    })
    await button(wrapper, '详情').trigger('click')
    await flushPromises()
    const issue = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === '发放')!
    issue.click()
    await vi.waitFor(() => expect(document.querySelector('[data-testid="issued-secret"]')?.textContent).toBe('c2VjcmV0LXNlY3JldA=='))
    expect(api.calls.find((c) => c.key === `POST ${base}/credentials`)!.body).toEqual({ kind: 'hmac-sm3' })
    expect(document.body.textContent).toContain('密钥只显示这一次')
    const done = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === '我已妥善保存')!
    done.click()
    await flushPromises()
    await vi.waitFor(() => expect(document.querySelector('[data-testid="issued-secret"]')).toBeNull())
  })
})
