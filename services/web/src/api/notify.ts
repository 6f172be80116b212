// Telling the user that a call failed: field errors go next to their
// fields (forms read ApiError.fields); everything else is a message naming
// the kind of problem, the server's detail and the request ID to quote.
import { ElMessage } from 'element-plus'
import type { Ref } from 'vue'
import type { Composer } from 'vue-i18n'
import { ApiError } from './problem'

/** problemText is what to tell a person about err, in their language. */
export function problemText(err: unknown, t: Composer['t']): { title: string; detail?: string; requestId?: string } {
  if (err instanceof ApiError) {
    return {
      title: t(`problem.${err.kind}`),
      detail: err.problem.detail,
      requestId: err.problem.requestId,
    }
  }
  return { title: t('problem.unknown'), detail: err instanceof Error ? err.message : undefined }
}

/** notifyError shows err as a message (never a 401: the login page follows). */
export function notifyError(err: unknown, t: Composer['t']): void {
  if (err instanceof ApiError && err.status === 401) return
  const p = problemText(err, t)
  const parts = [p.title, p.detail, p.requestId && t('common.requestId', { id: p.requestId })]
  ElMessage({ type: 'error', message: parts.filter(Boolean).join(' · '), duration: 6000, showClose: true })
}

/**
 * showFormError puts a refusal that names fields next to those fields (into
 * errors, which the form's items read) and says anything else in a message.
 */
export function showFormError(err: unknown, t: Composer['t'], errors: Ref<Record<string, string>>): void {
  if (err instanceof ApiError && Object.keys(err.fields).length > 0) errors.value = err.fields
  else notifyError(err, t)
}
