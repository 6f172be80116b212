import { describe, expect, it, vi } from 'vitest'
import { call, createApi, onUnauthenticated } from '@/api/client'
import { ApiError, fieldErrors, fieldKey, toProblem } from '@/api/problem'
import { jsonResponse, problemResponse } from './helpers'

describe('call', () => {
  it('returns the data of a 2xx answer', async () => {
    const api = createApi(async () => jsonResponse(200, { version: 'dev', goVersion: 'go1.26.8', api: '0.1.0' }))
    await expect(call(api.GET('/api/v1/version'))).resolves.toMatchObject({ version: 'dev' })
  })

  it('sends the session cookie (same-origin credentials) and asks for JSON', async () => {
    const seen: Request[] = []
    const api = createApi(async (r) => {
      seen.push(r)
      return jsonResponse(200, {})
    })
    await call(api.GET('/api/v1/version'))
    expect(seen[0]!.credentials).toBe('same-origin')
    expect(seen[0]!.headers.get('Accept')).toContain('application/problem+json')
  })

  it('throws the problem of a refusal, with its field errors and Retry-After', async () => {
    const api = createApi(async () =>
      problemResponse(
        400,
        {
          type: 'urn:kaiban:problem:invalid',
          requestId: 'req-1',
          errors: [
            { in: 'body', field: '/login', detail: 'does not match the pattern' },
            { in: 'body', field: '/subject/name', detail: 'too long' },
            { in: 'query', field: 'limit', detail: 'must be at most 200' },
          ],
        },
        { 'Retry-After': '30' },
      ),
    )
    const err = await call(api.GET('/api/v1/version')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    const e = err as ApiError
    expect(e.status).toBe(400)
    expect(e.kind).toBe('invalid')
    expect(e.problem.requestId).toBe('req-1')
    expect(e.retryAfter).toBe(30)
    expect(e.fields).toEqual({ login: 'does not match the pattern', 'subject.name': 'too long', limit: 'must be at most 200' })
  })

  it('tells the listeners about a 401', async () => {
    const listener = vi.fn()
    const off = onUnauthenticated(listener)
    const api = createApi(async () => problemResponse(401, { type: 'urn:kaiban:problem:unauthenticated' }))
    await expect(call(api.GET('/api/v1/me'))).rejects.toMatchObject({ status: 401, kind: 'unauthenticated' })
    expect(listener).toHaveBeenCalledTimes(1)
    off()
  })

  it('makes a network failure an ApiError of status 0', async () => {
    const api = createApi(async () => {
      throw new TypeError('Failed to fetch')
    })
    await expect(call(api.GET('/api/v1/version'))).rejects.toMatchObject({ status: 0, kind: 'network' })
  })

  it('makes a problem of a body that is not one (a proxy page)', async () => {
    const api = createApi(async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    await expect(call(api.GET('/api/v1/version'))).rejects.toMatchObject({ status: 502, kind: 'unavailable' })
  })
})

describe('problems', () => {
  it('names a field error as forms name fields', () => {
    expect(fieldKey({ in: 'body', field: '/', detail: '' })).toBe('')
    expect(fieldKey({ in: 'body', field: '/a~1b/c~0d', detail: '' })).toBe('a/b.c~d')
    expect(fieldKey({ in: 'path', field: 'userId', detail: '' })).toBe('userId')
  })

  it('joins repeated errors of one field', () => {
    const p = toProblem(400, '', {
      type: 'urn:kaiban:problem:invalid',
      title: 't',
      status: 400,
      errors: [
        { in: 'body', field: '/password', detail: 'too short' },
        { in: 'body', field: '/password', detail: 'contains the login' },
      ],
    })
    expect(fieldErrors(p)).toEqual({ password: 'too short；contains the login' })
  })

  it('knows the kinds by type, else by status', () => {
    const k = (type: string, status: number) => new ApiError({ type, title: '', status }).kind
    expect(k('urn:kaiban:problem:totp-required', 401)).toBe('totp-required')
    expect(k('urn:kaiban:problem:state', 409)).toBe('state')
    expect(k('urn:kaiban:problem:something-new', 409)).toBe('conflict')
    expect(k('about:blank', 418)).toBe('unknown')
  })
})
