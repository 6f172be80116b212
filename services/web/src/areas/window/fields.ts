// Live field errors for the front desk's forms: the browser's own checks
// (validation.ts) appear next to a field once the clerk has left it (or
// tried to submit), and change while they type; the server's field errors
// (ApiError.fields, keyed "legalRepresentative.idNumber") replace them until
// that field is edited again.
import { computed, reactive, type ComputedRef } from 'vue'
import { residentCheckChar, residentIdProblem, usccCheckChar, usccProblem } from './validation'

export interface LiveFields {
  /** The message to show next to a field, '' for none. */
  error: (key: string) => string
  /** Marks a field as visited (blur): its errors show from now on. */
  touch: (key: string) => void
  /** Called on every edit of a field: drops the server's error for it. */
  edited: (key: string) => void
  /** Shows every field's errors (a submit attempt). */
  touchAll: () => void
  /** Puts the server's field errors next to their fields. */
  setServer: (fields: Record<string, string>) => void
  /** Whether the browser's checks find anything wrong anywhere. */
  invalid: ComputedRef<boolean>
}

export function useLiveFields(local: () => Record<string, string>): LiveFields {
  const touched = reactive(new Set<string>())
  const server = reactive<Record<string, string>>({})
  const all = reactive({ on: false })
  const problems = computed(local)
  return {
    error: (key) => server[key] || (all.on || touched.has(key) ? problems.value[key] || '' : ''),
    touch: (key) => void touched.add(key),
    edited: (key) => {
      delete server[key]
    },
    touchAll: () => {
      all.on = true
    },
    setServer: (fields) => {
      for (const k of Object.keys(server)) delete server[k]
      Object.assign(server, fields)
      all.on = true
    },
    invalid: computed(() => Object.values(problems.value).some(Boolean)),
  }
}

type T = (key: string, args?: Record<string, unknown>) => string

/** ruleText is a rule code of validation.ts in the user's language. */
export function ruleText(t: T, code: string, arg?: string): string {
  return code ? t(`window.rule.${code}`, { arg: arg ?? '' }) : ''
}

/** residentIdText says what is wrong with an ID number, naming the check character it should have. */
export function residentIdText(t: T, id: string, required = true): string {
  if (!id && !required) return ''
  const code = residentIdProblem(id)
  return code === 'idCheck' ? t('window.rule.idCheck', { expected: residentCheckChar(id.slice(0, 17)) }) : ruleText(t, code)
}

/** usccText says what is wrong with a USCC, naming the check character it should have. */
export function usccText(t: T, code: string, required = true): string {
  if (!code && !required) return ''
  const p = usccProblem(code)
  return p === 'usccCheck' ? t('window.rule.usccCheck', { expected: usccCheckChar(code.slice(0, 17)) }) : ruleText(t, p)
}
