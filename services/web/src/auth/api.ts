// What the portal needs of the identity API: who is signed in, signing in
// (with a second step for a one-time code) and signing out. The session
// store depends on this interface; rest.ts implements it over the REST API
// and unit tests with a fake.
import type { Permission } from './permissions'

/** Me is the signed-in user as the portal shows it (names already masked by the API). */
export interface Me {
  id: string
  login: string
  displayName: string
  department: string
  roles: string[]
  permissions: Permission[]
  mustChangePassword: boolean
}

export interface Credentials {
  login: string
  password: string
  /** A TOTP code or a recovery code, for accounts that enrolled TOTP. */
  code?: string
}

/** LoginResult: signed in, or the password was right and a one-time code is needed. */
export type LoginResult = { kind: 'signed-in'; me: Me } | { kind: 'code-required' }

/**
 * Why a login was refused: wrong login, password or code (one answer, so
 * that nobody learns which), or too many failures on the account or from
 * the address, locked for a while.
 */
export type LoginRefusal = 'invalid' | 'locked'

/** LoginError is a login the identity service refused. Other failures are ApiErrors. */
export class LoginError extends Error {
  readonly reason: LoginRefusal
  /** Seconds until the lock ends, when the API said. */
  readonly retryAfter?: number

  constructor(reason: LoginRefusal, retryAfter?: number) {
    super(`login refused: ${reason}`)
    this.name = 'LoginError'
    this.reason = reason
    this.retryAfter = retryAfter
  }
}

export interface AuthApi {
  /** me returns the user of the browser's session, or null without one. */
  me(): Promise<Me | null>
  /** login opens a session; a refusal is thrown as a LoginError, anything else as an ApiError. */
  login(c: Credentials): Promise<LoginResult>
  logout(): Promise<void>
}
