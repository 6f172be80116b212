// The document each department issues (docs/issuance.md) and a suggestion
// for the unified social credit code the market department assigns.
import type { components } from '@/api/schema.gen'

export type DocumentKind = components['schemas']['DocumentKind']

/** kindOf maps a department code to the document kind it issues. */
export const kindOf: Record<string, DocumentKind> = {
  market: 'business-licence',
  seal: 'seal-record',
  social: 'social-security-registration',
  medical: 'medical-insurance-registration',
  'housing-fund': 'housing-fund-account',
  bank: 'bank-account-appointment',
  tax: 'tax-registration',
}

const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** usccCheck is the check character of the first 17 characters (GB 32100-2015 §5.3). */
export function usccCheck(first17: string): string {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += alphabet.indexOf(first17[i]!) * weights[i]!
  return alphabet[(31 - (sum % 31)) % 31]!
}

/** validUSCC reports whether code is 18 characters of the alphabet with the right check character. */
export function validUSCC(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) return false
  return usccCheck(code.slice(0, 17)) === code[17]
}

/**
 * suggestUSCC proposes a code for a process: registration authority 9
 * (enterprise), kind 1 (company), the division of the applicant's address
 * (Jinan's 370102 when it has none), an organisation code taken from the
 * process ID, and the check character. The officer may type another.
 */
export function suggestUSCC(process: string, division = '370102'): string {
  const hex = process.replace(/[^0-9a-f]/gi, '').padEnd(18, '0')
  let code = '91' + (/^[0-9]{6}$/.test(division) ? division : '370102')
  for (let i = 0; code.length < 17; i += 2) code += alphabet[parseInt(hex.slice(i, i + 2), 16) % 31]
  return code + usccCheck(code)
}

/** decodeContent turns a material's base64 content into text or JSON when it is one. */
export function decodeContent(b64: string): { text?: string; json?: unknown; bytes: number } {
  const bin = atob(b64)
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
  let text: string | undefined
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { bytes: bytes.length }
  }
  // Control characters other than white space: not text to show.
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { bytes: bytes.length }
  try {
    return { text, json: JSON.parse(text), bytes: bytes.length }
  } catch {
    return { text, bytes: bytes.length }
  }
}

/** flatten lists an object's leaves as dotted keys and printable values. */
export function flatten(v: unknown, prefix = ''): { key: string; value: string }[] {
  if (v === null || v === undefined) return prefix ? [{ key: prefix, value: '' }] : []
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return [{ key: prefix, value: v.join('、') }]
    return v.flatMap((x, i) => flatten(x, `${prefix}[${i + 1}]`))
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
    if (entries.length === 0) return prefix ? [{ key: prefix, value: '' }] : []
    return entries.flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k))
  }
  return [{ key: prefix, value: String(v) }]
}
