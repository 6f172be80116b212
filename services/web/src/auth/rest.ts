// The identity API the portal uses, over REST (api-spec/openapi.yaml, the
// identity block): POST /api/v1/sessions signs in and sets the session
// cookie, GET /api/v1/me says who the cookie belongs to, DELETE
// /api/v1/sessions/current signs out.
import { api, call, type Api } from '@/api/client'
import { ApiError } from '@/api/problem'
import type { components } from '@/api/schema.gen'
import { LoginError, type AuthApi, type Me } from './api'
import type { Permission } from './permissions'

type Principal = components['schemas']['Principal']

/**
 * toMe is the portal's view of the caller. The permissions are the
 * principal's effective permissions when the API lists them.
 */
export function toMe(p: Principal): Me {
  const listed = (p as Principal & { permissions?: Permission[] }).permissions
  return {
    id: p.id,
    login: p.name,
    displayName: p.name,
    department: p.department,
    roles: p.roles,
    permissions: listed ?? [],
    mustChangePassword: p.mustChangePassword,
  }
}

/** createRestAuthApi is the AuthApi over a client of the REST API. */
export function createRestAuthApi(client: Api): AuthApi {
  async function me(): Promise<Me | null> {
    try {
      return toMe(await call(client.GET('/api/v1/me')))
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null
      throw e
    }
  }

  return {
    me,

    async login(c) {
      try {
        await call(client.POST('/api/v1/sessions', { body: c }))
      } catch (e) {
        if (!(e instanceof ApiError)) throw e
        if (e.kind === 'totp-required') return { kind: 'code-required' }
        if (e.status === 401) throw new LoginError('invalid')
        if (e.status === 429) throw new LoginError('locked', e.retryAfter)
        throw e
      }
      const m = await me()
      if (!m) throw new LoginError('invalid')
      return { kind: 'signed-in', me: m }
    },

    async logout() {
      await call(client.DELETE('/api/v1/sessions/current'))
    },
  }
}

/** restAuthApi is the portal's identity API. */
export const restAuthApi: AuthApi = createRestAuthApi(api)
