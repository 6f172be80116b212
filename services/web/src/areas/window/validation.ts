// The establishment form's rules, computed in the browser exactly as the
// server computes them (services/internal/acceptance/checkdigit.go and
// form.go), so the clerk sees a wrong check digit or name next to the field
// while typing; the server checks everything again at acceptance and its
// field errors replace these.
//
// Each check returns a problem code (an i18n key under window.rule) or ''.

/** The USCC code alphabet (GB 32100-2015 4.2): no I, O, Z, S, V. */
export const usccAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'
/** W_i = 3^(i-1) mod 31 (GB 32100-2015 5.3). */
const usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** usccCheckChar is C18 of a USCC's first 17 characters, or null when they are not 17 code characters. */
export function usccCheckChar(body: string): string | null {
  if (body.length !== 17) return null
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const v = usccAlphabet.indexOf(body[i]!)
    if (v < 0) return null
    sum += v * usccWeights[i]!
  }
  const c = 31 - (sum % 31)
  return usccAlphabet[c === 31 ? 0 : c]!
}

/** validUSCC: 18 characters, a six-digit division at 3-8, the check character. */
export function validUSCC(code: string): boolean {
  if (code.length !== 18 || !/^[0-9]{6}$/.test(code.slice(2, 8))) return false
  return usccCheckChar(code.slice(0, 17)) === code[17]
}

/** W_i = 2^(18-i) mod 11 (GB 11643-1999 7.2). */
const residentWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
/** MOD(Σ ai×Wi, 11) → check character, X for ten. */
const residentCheck = '10X98765432'

/** residentCheckChar is the check character of an ID number's first 17 digits, or null. */
export function residentCheckChar(body: string): string | null {
  if (!/^[0-9]{17}$/.test(body)) return null
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * residentWeights[i]!
  return residentCheck[sum % 11]!
}

/** realBirthDate: YYYYMMDD that exists, 1900 or later, not in the future. */
function realBirthDate(s: string, now: Date): boolean {
  const y = Number(s.slice(0, 4))
  const m = Number(s.slice(4, 6))
  const d = Number(s.slice(6, 8))
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false
  return y >= 1900 && date.getTime() <= now.getTime()
}

/** residentIdProblem names what is wrong with a resident ID number ('' when valid). */
export function residentIdProblem(id: string, now = new Date()): string {
  if (id === '') return 'required'
  if (id.length !== 18 || !/^[0-9]{17}[0-9X]$/.test(id)) return 'idFormat'
  if (!realBirthDate(id.slice(6, 14), now)) return 'idBirth'
  if (residentCheckChar(id.slice(0, 17)) !== id[17]) return 'idCheck'
  return ''
}

/** usccProblem names what is wrong with a USCC ('' when valid). */
export function usccProblem(code: string): string {
  if (code === '') return 'required'
  if (code.length !== 18 || ![...code].every((c) => usccAlphabet.includes(c)) || !/^[0-9]{6}$/.test(code.slice(2, 8))) {
    return 'usccFormat'
  }
  if (usccCheckChar(code.slice(0, 17)) !== code[17]) return 'usccCheck'
  return ''
}

// --- the enterprise name (企业名称登记管理规定) ---

export type EnterpriseType = 'llc' | 'sole-llc' | 'joint-stock' | 'partnership' | 'sole-proprietorship'
export const enterpriseTypes: EnterpriseType[] = ['llc', 'sole-llc', 'joint-stock', 'partnership', 'sole-proprietorship']

/** The words a name may not contain, as acceptance.ForbiddenNameWords. */
export const forbiddenNameWords = [
  '中国', '中华', '全国', '国家', '国际', '政府', '党', '军', '武警', '公安', '人民', '联合国',
  '赌', '毒', '色情', '迷信', '邪教', '黑社会',
]

/** The endings each enterprise type may use, as acceptance.organisationalForms. */
export const organisationalForms: Record<EnterpriseType, string[]> = {
  llc: ['有限责任公司', '有限公司'],
  'sole-llc': ['有限责任公司', '有限公司'],
  'joint-stock': ['股份有限公司'],
  partnership: ['（普通合伙）', '（有限合伙）', '合伙企业'],
  'sole-proprietorship': ['个人独资企业', '（个人独资）'],
}

const han = /\p{Script=Han}/u
const divisionPrefix = /^\p{Script=Han}{1,9}?(省|市|自治区|自治州|地区|盟|县|区|旗)/u
const divisionInBrackets = /（\p{Script=Han}{1,9}(省|市|自治区|自治州|地区|盟|县|区|旗)?）/u

export interface NameProblem {
  code: string
  /** A word or ending the message names. */
  arg?: string
}

/** nameProblem applies the name rules of acceptance.checkName; null when the name passes. */
export function nameProblem(name: string, type: EnterpriseType | ''): NameProblem | null {
  const chars = [...name]
  if (chars.length === 0) return { code: 'required' }
  if (chars.length < 6 || chars.length > 50) return { code: 'nameLength' }
  const bad = chars.find((r) => !han.test(r) && r !== '（' && r !== '）')
  if (bad !== undefined) return { code: 'nameChars', arg: bad }
  const word = forbiddenNameWords.find((w) => name.includes(w))
  if (word) return { code: 'nameForbidden', arg: word }
  if (!type) return null
  const forms = organisationalForms[type]
  const form = forms.find((f) => name.endsWith(f))
  if (!form) return { code: 'nameForm', arg: forms.join(' / ') }
  let rest = name.slice(0, name.length - form.length)
  const lead = divisionPrefix.exec(rest)
  const inner = divisionInBrackets.exec(rest)
  if (lead) rest = rest.slice(lead[0].length)
  else if (inner && inner.index > 0) rest = rest.slice(0, inner.index) + rest.slice(inner.index + inner[0].length)
  else return { code: 'nameDivision' }
  if ([...rest].length < 4) return { code: 'nameTrade', arg: form }
  return null
}

// --- amounts, people, addresses ---

const amountRe = /^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$/

/** amountFen is a yuan amount in fen (as a bigint), or null when it is not one. */
export function amountFen(s: string): bigint | null {
  if (!amountRe.test(s)) return null
  const [whole, frac = ''] = s.split('.')
  return BigInt(whole! + (frac + '00').slice(0, 2))
}

/** amountProblem: yuan with at most two decimals, more than zero. */
export function amountProblem(s: string): string {
  if (s === '') return 'required'
  const v = amountFen(s)
  if (v === null) return 'amountFormat'
  if (v === 0n) return 'amountZero'
  return ''
}

const personNameRe = /^[\p{Script=Han}·]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,49}$/u

export function personNameProblem(s: string): string {
  if (s === '') return 'required'
  return personNameRe.test(s) ? '' : 'personName'
}

export function mobileProblem(s: string, required: boolean): string {
  if (s === '') return required ? 'required' : ''
  return /^1[3-9][0-9]{9}$/.test(s) ? '' : 'mobile'
}

export function divisionProblem(s: string): string {
  if (s === '') return 'required'
  return /^[1-8][0-9]{5}$/.test(s) ? '' : 'division'
}

export function addressDetailProblem(s: string): string {
  const t = s.trim()
  if (t === '') return 'required'
  return [...t].length < 4 ? 'addressDetail' : ''
}

export interface ShareholderForm {
  kind: 'person' | 'enterprise'
  name: string
  idNumber: string
  contribution: string
}

/**
 * shareholdersProblem checks the investors as a whole: how many the type
 * allows, and that the contributions add up to the capital (only when every
 * amount is itself valid, as the server does).
 */
export function shareholdersProblem(type: EnterpriseType | '', capital: string, holders: ShareholderForm[]): NameProblem | null {
  if (holders.length === 0) return { code: 'holdersNone' }
  if (holders.length > 1 && (type === 'sole-llc' || type === 'sole-proprietorship')) return { code: 'holdersSole' }
  if (holders.length < 2 && type === 'partnership') return { code: 'holdersPartners' }
  const cap = amountFen(capital)
  if (cap === null || cap === 0n) return null
  let total = 0n
  for (const h of holders) {
    const c = amountFen(h.contribution)
    if (c === null || c === 0n) return null
    total += c
  }
  if (total !== cap) return { code: 'holdersSum', arg: formatFen(total) }
  return null
}

/** formatFen writes fen as yuan with two decimals. */
export function formatFen(v: bigint): string {
  const s = v.toString().padStart(3, '0')
  return `${s.slice(0, -2)}.${s.slice(-2)}`
}

/** shareholderIdProblem: a person's resident ID or an enterprise's USCC. */
export function shareholderIdProblem(h: ShareholderForm, now = new Date()): string {
  return h.kind === 'person' ? residentIdProblem(h.idNumber, now) : usccProblem(h.idNumber)
}

/** The applicant's subject ID: 32 lower-case hex digits. */
export function applicantProblem(s: string): string {
  if (s === '') return 'required'
  return /^[0-9a-f]{32}$/.test(s) ? '' : 'applicant'
}
