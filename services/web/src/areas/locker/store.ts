// The opened locker of this page session: its ID, its record and the unlock
// password. The password proves ownership on every sensitive call (view,
// grant, upload, codes, key release), so it is kept in memory only — never
// in localStorage, sessionStorage or a cookie — and dropped when the locker
// is closed, the user signs out or the page is reloaded.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { call, type Api } from '@/api/client'
import type { components } from '@/api/schema.gen'

export type Locker = components['schemas']['Locker']
export type LockerAsset = components['schemas']['LockerAsset']
export type LockerGrant = components['schemas']['LockerGrant']
export type LockerContent = components['schemas']['LockerContent']
export type LockerHolding = components['schemas']['LockerHolding']

export const useLockerSession = defineStore('locker-session', () => {
  const locker = shallowRef<Locker | null>(null)
  const password = ref('')
  const opened = computed(() => locker.value !== null && password.value !== '')
  const id = computed(() => locker.value?.id ?? '')

  /**
   * open proves the unlock password to the server, which binds the signed-in
   * person to the locker as one of its holders (bindLockerHolder: 404 when
   * unknown, 403 for a wrong password, 429 when locked), and keeps the
   * password for this session.
   */
  async function open(api: Api, lockerId: string, unlock: string): Promise<Locker> {
    const h = await call(api.POST('/api/v1/lockers/{lockerId}/holders', { params: { path: { lockerId } }, body: { password: unlock } }))
    const l = h.locker
    locker.value = l
    password.value = unlock
    return l
  }

  /** refresh reloads the locker's record (its status on chain). */
  async function refresh(api: Api): Promise<void> {
    if (!locker.value) return
    locker.value = await call(api.GET('/api/v1/lockers/{lockerId}', { params: { path: { lockerId: locker.value.id } } }))
  }

  function close(): void {
    locker.value = null
    password.value = ''
  }

  return { locker, password, opened, id, open, refresh, close }
})
