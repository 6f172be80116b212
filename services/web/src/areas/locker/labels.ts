// Names of the locker's codes (asset types, statuses, channels, actions) in
// the user's language, the code itself when the area has no text for it
// (an asset type defined on chain later, for instance).
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/problem'
import { notifyError } from '@/api/notify'
import { ElMessage } from 'element-plus'

export function useLabels() {
  const { t, te } = useI18n()
  const label = (group: string, code: string | undefined) => {
    if (!code) return t('locker.common.none')
    const key = `locker.${group}.${code}`
    return te(key) ? t(key) : code
  }
  /**
   * fail tells the user why a sensitive call failed; a refusal (403 denied)
   * of a password-bearing call is most often a wrong unlock password.
   */
  const fail = (e: unknown) => {
    if (e instanceof ApiError && e.status === 403 && e.kind === 'denied') {
      ElMessage({ type: 'error', message: `${t('locker.open.wrongPassword')}${e.problem.detail ? ` · ${e.problem.detail}` : ''}`, duration: 6000, showClose: true })
      return
    }
    notifyError(e, t)
  }
  return { label, fail }
}

/** shortId shows the head and tail of a long chain ID. */
export function shortId(id: string | undefined, n = 8): string {
  if (!id) return '—'
  return id.length <= 2 * n + 1 ? id : `${id.slice(0, n)}…${id.slice(-4)}`
}

/** inDays is an ISO time n days from now, for the default expiry of grants and codes. */
export function inDays(n: number): Date {
  return new Date(Date.now() + n * 86_400_000)
}

/** fullTime writes a chain timestamp to the second, in the user's language, for checking against the block. */
export function fullTime(iso: string | undefined, locale: string): string {
  if (!iso) return '—'
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  return at.toLocaleString(locale, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  })
}
