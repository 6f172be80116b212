import { describe, expect, it } from 'vitest'
import { createApi } from '@/api/client'
import { LoginError } from '@/auth/api'
import { createRestAuthApi } from '@/auth/rest'
import { jsonResponse, problemResponse } from './helpers'

const principal = {
  kind: 'user',
  id: 'u1',
  name: 'alice',
  department: 'operator',
  roles: ['secadmin'],
  method: 'session',
  mustChangePassword: true,
}

function auth(answers: Record<string, () => Response>) {
  const calls: string[] = []
  const api = createApi(async (r) => {
    const key = `${r.method} ${new URL(r.url).pathname}`
    calls.push(key)
    const a = answers[key]
    if (!a) throw new Error(`unexpected ${key}`)
    return a()
  })
  return { a: createRestAuthApi(api), calls }
}

describe('the identity API over REST', () => {
  it('signs in, then asks who it is', async () => {
    const { a, calls } = auth({
      'POST /api/v1/sessions': () => jsonResponse(201, { token: 'kbs_x', userId: 'u1', expiresAt: '', idleTimeoutSeconds: 1800, mustChangePassword: true }),
      'GET /api/v1/me': () => jsonResponse(200, principal),
    })
    const r = await a.login({ login: 'alice', password: 'pw' })
    expect(r).toMatchObject({ kind: 'signed-in', me: { id: 'u1', login: 'alice', roles: ['secadmin'], mustChangePassword: true, permissions: [] } })
    expect(calls).toEqual(['POST /api/v1/sessions', 'GET /api/v1/me'])
  })

  it('takes the permissions the API lists', async () => {
    const perms = [{ resource: 'identity.users', action: 'read' }]
    const { a } = auth({ 'GET /api/v1/me': () => jsonResponse(200, { ...principal, permissions: perms }) })
    expect((await a.me())?.permissions).toEqual(perms)
  })

  it('asks for the one-time code when the API says so', async () => {
    const { a } = auth({ 'POST /api/v1/sessions': () => problemResponse(401, { type: 'urn:kaiban:problem:totp-required' }) })
    await expect(a.login({ login: 'alice', password: 'pw' })).resolves.toEqual({ kind: 'code-required' })
  })

  it('refuses wrong credentials and locks with the time to wait', async () => {
    const wrong = auth({ 'POST /api/v1/sessions': () => problemResponse(401, { type: 'urn:kaiban:problem:unauthenticated' }) })
    await expect(wrong.a.login({ login: 'a', password: 'b' })).rejects.toEqual(new LoginError('invalid'))
    const locked = auth({
      'POST /api/v1/sessions': () => problemResponse(429, { type: 'urn:kaiban:problem:rate-limited' }, { 'Retry-After': '840' }),
    })
    const err = await locked.a.login({ login: 'a', password: 'b' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LoginError)
    expect(err).toMatchObject({ reason: 'locked', retryAfter: 840 })
  })

  it('has nobody signed in on a 401 from /me', async () => {
    const { a } = auth({ 'GET /api/v1/me': () => problemResponse(401, { type: 'urn:kaiban:problem:unauthenticated' }) })
    await expect(a.me()).resolves.toBeNull()
  })

  it('signs out', async () => {
    const { a, calls } = auth({ 'DELETE /api/v1/sessions/current': () => new Response(null, { status: 204 }) })
    await a.logout()
    expect(calls).toEqual(['DELETE /api/v1/sessions/current'])
  })
})
