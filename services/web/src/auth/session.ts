// The session of the person using the portal: who they are and what they
// may do. Loaded once per page load from the API and dropped when the API
// answers 401.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { AuthApi, Credentials, LoginResult, Me } from './api'
import { allows } from './permissions'

let impl: AuthApi | undefined

/** provideAuthApi sets the identity API the session store uses (main.ts, tests). */
export function provideAuthApi(a: AuthApi): void {
  impl = a
}

function authApi(): AuthApi {
  if (!impl) throw new Error('session: no AuthApi provided')
  return impl
}

export const useSession = defineStore('session', () => {
  const me = ref<Me | null>(null)
  const loaded = ref(false)
  // Why the last session ended, for the login page to say.
  const ended = ref<'expired' | null>(null)
  let loading: Promise<void> | null = null

  const signedIn = computed(() => me.value !== null)

  /** ensureLoaded asks the API who is signed in, once. */
  function ensureLoaded(): Promise<void> {
    if (loaded.value) return Promise.resolve()
    loading ??= authApi()
      .me()
      .then((m) => {
        me.value = m
        loaded.value = true
      })
      .finally(() => {
        loading = null
      })
    return loading
  }

  async function login(c: Credentials): Promise<LoginResult> {
    const r = await authApi().login(c)
    if (r.kind === 'signed-in') {
      me.value = r.me
      loaded.value = true
      ended.value = null
    }
    return r
  }

  async function logout(): Promise<void> {
    try {
      await authApi().logout()
    } finally {
      me.value = null
    }
  }

  /** expire forgets a session the API no longer accepts. */
  function expire(): void {
    if (me.value) ended.value = 'expired'
    me.value = null
    loaded.value = true
  }

  /** can reports whether the user holds a permission ("resource:action"). */
  function can(permission: string | undefined): boolean {
    if (!permission) return me.value !== null
    return me.value !== null && allows(me.value.permissions, permission)
  }

  return { me, loaded, ended, signedIn, ensureLoaded, login, logout, expire, can }
})
