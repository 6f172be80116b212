// Mounting a component the way the portal runs it: i18n (Chinese unless
// said), a fresh pinia, a router in memory, and a fake identity API.
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import { createMemoryHistory, type Router } from 'vue-router'
import { apiKey, createApi } from '@/api/client'
import type { AuthApi, Me } from '@/auth/api'
import { provideAuthApi } from '@/auth/session'
import { createPortalI18n, type Locale } from '@/i18n'
import { createPortalRouter } from '@/router'

export const alice: Me = {
  id: '00000000-0000-4000-8000-000000000001',
  login: 'alice',
  displayName: '张**',
  department: 'operator',
  roles: ['secadmin'],
  permissions: [{ resource: 'identity.users', action: 'read' }],
  mustChangePassword: false,
}

/** fakeAuth answers like the identity API; override what a test needs. */
export function fakeAuth(over: Partial<AuthApi> = {}): AuthApi {
  return {
    me: async () => null,
    login: async () => ({ kind: 'signed-in', me: alice }),
    logout: async () => undefined,
    ...over,
  }
}

export async function mountPage(
  component: Component,
  {
    auth = fakeAuth(),
    path = '/',
    locale = 'zh-CN' as Locale,
    props = {},
    fetch = undefined as ((r: Request) => Promise<Response>) | undefined,
  } = {},
): Promise<{ wrapper: ReturnType<typeof mount>; router: Router }> {
  const pinia = createPinia()
  setActivePinia(pinia)
  provideAuthApi(auth)
  const router = createPortalRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(component, {
    props,
    attachTo: document.body,
    global: {
      plugins: [pinia, createPortalI18n(locale), router],
      provide: fetch ? { [apiKey as symbol]: createApi(fetch) } : {},
    },
  })
  await flushPromises()
  return { wrapper, router }
}

/** problemResponse is a problem+json answer. */
export function problemResponse(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ status, title: 'x', type: 'about:blank', ...body }), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  })
}

export function jsonResponse(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/** fakeApi answers "METHOD /path" requests from a table; anything else fails the test. */
export function fakeApi(answers: Record<string, (r: Request) => Response | Promise<Response>>) {
  const calls: { key: string; body: unknown }[] = []
  const fetch = async (r: Request) => {
    const key = `${r.method} ${new URL(r.url).pathname}`
    calls.push({ key, body: r.body ? await r.clone().json() : undefined })
    const a = answers[key]
    if (!a) throw new Error(`unexpected ${key}`)
    return a(r)
  }
  return { fetch, calls }
}
