// Loading something for a page: the data, whether it is loading, the error
// if it failed, and reload — what AsyncState shows.
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'

export interface Load<T> {
  data: ShallowRef<T | undefined>
  loading: Ref<boolean>
  error: ShallowRef<unknown>
  reload: () => Promise<void>
}

/** useLoad runs fn now and on reload; a newer run wins over an older one still in flight. */
export function useLoad<T>(fn: () => Promise<T>, { immediate = true } = {}): Load<T> {
  const data = shallowRef<T>()
  const loading = ref(false)
  const error = shallowRef<unknown>(null)
  let run = 0
  async function reload() {
    const mine = ++run
    loading.value = true
    error.value = null
    try {
      const d = await fn()
      if (mine === run) data.value = d
    } catch (e) {
      if (mine === run) error.value = e
    } finally {
      if (mine === run) loading.value = false
    }
  }
  if (immediate) void reload()
  return { data, loading, error, reload }
}
