// Errors of the REST API: RFC 9457 problem details, as the contract defines
// them (#/components/schemas/Problem), turned into one error class that
// views branch on by status or kind, and whose field errors forms show
// next to their fields.
import type { components } from './schema.gen'

export type Problem = components['schemas']['Problem']
export type FieldError = components['schemas']['FieldError']

/** The kinds of problem the contract names (the last segment of `type`). */
export type ProblemKind =
  | 'invalid'
  | 'unauthenticated'
  | 'denied'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'state'
  | 'too-large'
  | 'unsupported-media-type'
  | 'signature'
  | 'rate-limited'
  | 'internal'
  | 'unavailable'
  | 'totp-required'
  | 'password-change-required'
  | 'network'
  | 'unknown'

const kinds: ReadonlySet<string> = new Set<ProblemKind>([
  'invalid', 'unauthenticated', 'denied', 'not-found', 'method-not-allowed', 'conflict', 'state',
  'too-large', 'unsupported-media-type', 'signature', 'rate-limited', 'internal', 'unavailable',
  'totp-required', 'password-change-required',
])

const kindByStatus: Record<number, ProblemKind> = {
  400: 'invalid', 401: 'unauthenticated', 403: 'denied', 404: 'not-found', 405: 'method-not-allowed',
  409: 'conflict', 413: 'too-large', 415: 'unsupported-media-type', 422: 'signature',
  429: 'rate-limited', 500: 'internal', 502: 'unavailable', 503: 'unavailable', 504: 'unavailable',
}

/** ApiError is a request the API refused, or that never reached it (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem
  /** Seconds until trying again may succeed (Retry-After), when the API said. */
  readonly retryAfter?: number

  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.status = problem.status
    this.problem = problem
    this.retryAfter = retryAfter
  }

  /** kind names the problem: `urn:kaiban:problem:<kind>`, else from the status. */
  get kind(): ProblemKind {
    const urn = 'urn:kaiban:problem:'
    if (this.status === 0) return 'network'
    if (this.problem.type.startsWith(urn)) {
      const k = this.problem.type.slice(urn.length)
      if (kinds.has(k)) return k as ProblemKind
    }
    return kindByStatus[this.status] ?? 'unknown'
  }

  /** fields maps each offending field (see fieldKey) to what is wrong with it. */
  get fields(): Record<string, string> {
    return fieldErrors(this.problem)
  }
}

/**
 * fieldKey names a field error the way forms name their fields: a body
 * member by its JSON pointer with dots ("/subject/name" → "subject.name"),
 * a parameter by its name. The body itself ("/") is "".
 */
export function fieldKey(e: FieldError): string {
  if (e.in !== 'body') return e.field
  return e.field
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.')
}

/** fieldErrors collects a problem's field errors by fieldKey, joining repeats. */
export function fieldErrors(p: Problem): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of p.errors ?? []) {
    const k = fieldKey(e)
    out[k] = out[k] ? `${out[k]}；${e.detail}` : e.detail
  }
  return out
}

/**
 * toProblem reads an error response's body: a problem as the contract
 * defines it, or, from something in between (a proxy's HTML page), a problem
 * made from the status.
 */
export function toProblem(status: number, statusText: string, body: unknown): Problem {
  if (body && typeof body === 'object' && 'type' in body && 'status' in body && 'title' in body) {
    return body as Problem
  }
  const detail = typeof body === 'string' && body.length > 0 && body.length < 300 ? body : undefined
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status, detail }
}

/** retryAfterSeconds reads a Retry-After header given in seconds. */
export function retryAfterSeconds(h: string | null): number | undefined {
  const n = h === null ? NaN : Number(h)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/** networkError is the ApiError of a request that got no response. */
export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new ApiError({ type: 'about:blank', title: 'Network error', status: 0, detail })
}
