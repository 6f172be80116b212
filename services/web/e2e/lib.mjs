// What every browser check shares: where the portal is, the accounts
// scripts/e2e.sh created, the page helpers (signIn, shot, expect, text), a
// small REST client for preparing data the way an integrator would, and
// `account()`, which makes a signed-in-able user with the roles a check
// needs. Checks live in e2e/checks/*.mjs (run in file-name order) and
// register themselves with check(); `state` carries what one check leaves
// for a later one (an application ID, a locker and its password, …).
import { join } from 'node:path'

export const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
export const origin = new URL(base).origin
export const artifacts = process.env.ARTIFACTS ?? new URL('../artifacts/e2e/', import.meta.url).pathname

// Accounts scripts/e2e.sh created with `kaiban admin create` (none against
// the static stand-in): a security administrator for the signed-in checks,
// an audit administrator to lock out, and a system and a second security
// administrator that account() uses through the API.
export const admin = process.env.E2E_LOGIN ? { login: process.env.E2E_LOGIN, password: process.env.E2E_PASSWORD } : null
export const victim = process.env.E2E_LOCK_LOGIN ? { login: process.env.E2E_LOCK_LOGIN } : null
const sysadmin = process.env.E2E_SYS_LOGIN ? { login: process.env.E2E_SYS_LOGIN, password: process.env.E2E_SYS_PASSWORD } : null
const grantor = process.env.E2E_GRANT_LOGIN ? { login: process.env.E2E_GRANT_LOGIN, password: process.env.E2E_GRANT_PASSWORD } : null

// The key passwords of the simulated departments' keys (scripts/e2e.sh asks
// `kaiban department key-password`), by department code.
const departmentKeys = JSON.parse(process.env.E2E_DEPARTMENT_KEYS || '{}')

/** departmentKeyPassword is the password of a simulated department's key (bank, market, …). */
export function departmentKeyPassword(code) {
  const p = departmentKeys[code]
  if (!p) throw new Error(`no key password for department ${code} (scripts/e2e.sh sets E2E_DEPARTMENT_KEYS)`)
  return p
}

/** hasApi says whether the server is kaiban (with accounts), not the static stand-in. */
export const hasApi = !!(admin && victim && sysadmin && grantor)

/** What checks leave for later checks. */
export const state = {}

export const checks = []
/**
 * check registers a browser check: fn(page) runs in a fresh browser context.
 * needsApi: skip it against the static stand-in.
 */
export function check(name, fn, { needsApi = false } = {}) {
  checks.push({ name, fn, needsApi })
}

export async function signIn(page, login, password) {
  await page.goto(`${base}/login`)
  await page.locator('input[name="username"]').fill(login)
  await page.locator('input[name="password"]').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
}

export async function shot(page, name) {
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
}

export function expect(cond, what) {
  if (!cond) throw new Error(what)
}

export async function text(locator) {
  return (await locator.textContent({ timeout: 5000 }))?.trim() ?? ''
}

// --- the REST API, as an integrator sees it ---------------------------------

/** A problem answer of the API, kept whole for the failure message. */
export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path}: ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`)
    this.status = status
    this.body = body
  }
}

/** Api is a REST client with a session token (Authorization: Bearer). */
export class Api {
  constructor(token) {
    this.token = token
  }

  async call(method, path, body) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const raw = await res.text()
    let data = raw
    try {
      data = raw ? JSON.parse(raw) : null
    } catch {
      // not JSON: kept as text
    }
    if (!res.ok) throw new ApiError(method, path, res.status, data)
    return data
  }

  get(path) {
    return this.call('GET', path)
  }
  post(path, body = {}) {
    return this.call('POST', path, body)
  }
  put(path, body) {
    return this.call('PUT', path, body)
  }
}

const passwords = new Map()

/**
 * apiSignIn signs in over the API; a first sign-in changes the initial
 * password to a fresh one (remembered for later sign-ins of the same login).
 * It returns the client and the password now valid.
 */
export async function apiSignIn(login, password) {
  const current = passwords.get(login) ?? password
  const s = await new Api().post('/api/v1/sessions', { login, password: current })
  const api = new Api(s.token)
  if (!s.mustChangePassword) return { api, password: current }
  const fresh = `Kaiban-e2e-${Math.random().toString(36).slice(2, 10)}!Q7`
  await api.post('/api/v1/me/password', { currentPassword: current, newPassword: fresh })
  passwords.set(login, fresh)
  return apiSignIn(login, fresh)
}

let seq = 0

/**
 * account creates a user in department (a code: operator, market, seal,
 * social, medical, housing-fund, bank, tax) holding roles (clerk, officer,
 * supervisor, regulator, applicant, …), signs in once to set its password,
 * and returns { id, login, password } for signIn(page, …).
 */
export async function account({ roles, department = 'operator', name } = {}) {
  if (!hasApi) throw new Error('account() needs kaiban (not the static stand-in)')
  const { api: sys } = await apiSignIn(sysadmin.login, sysadmin.password)
  const { api: sec } = await apiSignIn(grantor.login, grantor.password)
  const login = `e2e-${roles.join('-')}-${Date.now().toString(36)}${seq++}`.slice(0, 60)
  const initial = `Kaiban-init-${Math.random().toString(36).slice(2, 10)}!Q7`
  const u = await sys.post('/api/v1/users', { login, name: name ?? `E2E ${roles.join('/')}`, department, password: initial })
  for (const role of roles) await sec.put(`/api/v1/users/${u.id}/roles/${role}`)
  const { password } = await apiSignIn(login, initial)
  return { id: u.id, login, password }
}
