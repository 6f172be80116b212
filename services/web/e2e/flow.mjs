// The establishment flow through the REST API, for checks that need one
// when no earlier check left it in `state` (E2E_ONLY on a single file), or
// that must not touch the one the browser checks are walking through: open
// and approve a locker, accept an application, wait for the licence and
// the bundle, read the licence PDF out of the locker. Also valid identifiers
// and a unique enterprise name, computed as the server checks them.
import { account, apiSignIn, expect } from './lib.mjs'

const residentWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** residentId is a GB 11643-valid ID number born on birth (YYYYMMDD) in Jinan's Lixia district. */
export function residentId(birth = '19900307', seq = Math.floor(Math.random() * 1000)) {
  const body = `370102${birth}${String(seq).padStart(3, '0')}`
  const sum = [...body].reduce((s, c, i) => s + Number(c) * residentWeights[i], 0)
  return body + '10X98765432'[sum % 11]
}

/** wrongCheck is id with another check character. */
export function wrongCheck(id) {
  return id.slice(0, 17) + (id[17] === '0' ? '1' : '0')
}

/** tradeName is a unique trade name in Chinese numerals (enterprise names allow Chinese characters only). */
export function tradeName(prefix = '明湖') {
  const n = '零一二三四五六七八九'
  return prefix + [...String(Date.now() % 1e6)].map((d) => n[Number(d)]).join('')
}

/** poll calls fn until it returns something truthy, or fails after ms. */
export async function poll(what, fn, ms = 60_000, every = 500) {
  const until = Date.now() + ms
  let last
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

let reviewer
/** approveLocker approves a locker opening as an officer (A.5 b) and waits until it is active. */
export async function approveLocker(lockerId, clerkApi) {
  if (!reviewer) {
    const o = await account({ roles: ['officer'], department: 'operator' })
    reviewer = (await apiSignIn(o.login, o.password)).api
  }
  await reviewer.post(`/api/v1/lockers/${lockerId}/review`, { approve: true, note: 'e2e' })
  await poll(`locker ${lockerId} active`, async () => (await clerkApi.get(`/api/v1/lockers/${lockerId}`)).status === 'active')
}

/** The form of an establishment the server accepts, for the applicant's locker. */
export function establishmentForm(applicant, name, services = ['seal', 'social', 'medical', 'housing-fund', 'bank', 'tax']) {
  const rep = residentId()
  return {
    item: 'establishment',
    applicant,
    name,
    enterpriseType: 'llc',
    registeredCapital: '1000000.00',
    address: { division: '370102', detail: '历下区经十路 100 号' },
    businessScope: '软件开发；信息技术咨询服务',
    shareholders: [{ kind: 'person', name: '张三', idNumber: rep, contribution: '1000000.00' }],
    legalRepresentative: { name: '张三', idNumber: rep, phone: '13800000000' },
    services,
  }
}

/**
 * establish opens an approved locker and accepts an establishment for it
 * with the follow-up services given (none: the licence alone), all through
 * the API, and returns { locker: {id, password}, processId, clerk }.
 */
export async function establish({ services } = {}) {
  const c = await account({ roles: ['clerk'], department: 'operator' })
  const { api: clerk } = await apiSignIn(c.login, c.password)
  const name = `济南市${tradeName('泉城')}信息技术有限公司`
  const password = `Locker-e2e-${Date.now().toString(36)}`
  const l = await clerk.post('/api/v1/lockers', {
    kind: 'enterprise',
    enterprise: { name },
    legalRepresentative: { name: '张三', idNumber: residentId() },
    clerkId: c.login,
    password,
  })
  await poll(`locker ${l.id} on chain`, async () => (await clerk.get(`/api/v1/lockers/${l.id}`)).status === 'pending')
  await approveLocker(l.id, clerk)
  const app = await clerk.post('/api/v1/applications', establishmentForm(l.id, name, services))
  return { locker: { id: l.id, password }, processId: app.id, clerk }
}

function departmentKeys() {
  try {
    return JSON.parse(process.env.E2E_DEPARTMENT_KEYS ?? '{}')
  } catch {
    return {}
  }
}

/**
 * decideLicence does the market department's part by hand, as its officer
 * in the workbench would (for a run where the market simulator waits for a
 * person): issue the business licence into the applicant's locker and
 * approve the licence step with it.
 */
export async function decideLicence(processId) {
  const password = departmentKeys().market
  expect(password, 'E2E_DEPARTMENT_KEYS has the market key password')
  const o = await account({ roles: ['officer'], department: 'market' })
  const { api } = await apiSignIn(o.login, o.password)
  const task = await api.get(`/api/v1/tasks/${processId}/licence`)
  const name = task.enterpriseName ?? task.information?.['enterprise-basics']?.name ?? '济南市泉城信息技术有限公司'
  const doc = await api.post('/api/v1/issuance/documents', {
    process: processId,
    kind: 'business-licence',
    password,
    licence: {
      uscc: '91370102MA3C4T5R1' + usccCheck('91370102MA3C4T5R1'),
      name,
      type: '有限责任公司',
      legalRepresentative: '张三',
      registeredCapital: '壹佰万元整',
      establishedOn: new Date().toISOString().slice(0, 10),
      address: '济南市历下区经十路 100 号',
      scope: '软件开发；信息技术咨询服务',
    },
  })
  try {
    await api.post(`/api/v1/tasks/${processId}/licence/decision`, {
      approve: true, opinion: '材料齐全，准予登记', approver: o.login, outputs: [doc.asset], password,
    })
  } catch (e) {
    // A simulator in auto mode may have decided in the meantime: the step is no longer pending.
    if (e.status !== 409) throw e
  }
  return doc
}

const usccAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
function usccCheck(body) {
  const sum = [...body].reduce((s, c, i) => s + usccAlphabet.indexOf(c) * usccWeights[i], 0)
  const c = 31 - (sum % 31)
  return usccAlphabet[c === 31 ? 0 : c]
}

/**
 * licenceOf waits (up to ms) for the process's business licence to be
 * issued and its bundle on chain (the process completed), then reads the
 * licence's PDF out of the applicant's locker with its unlock password —
 * an owner's view, recorded on chain with its reason. It returns
 * { pdf (Buffer), payload, asset }, or null when the deadline passes.
 */
export async function licenceOf(api, processId, locker, ms) {
  const until = Date.now() + ms
  let doc
  try {
    doc = await poll(
      `the licence of ${processId}`,
      async () => (await api.get(`/api/v1/issuance/processes/${processId}/documents`)).items.find((d) => d.kind === 'business-licence'),
      ms,
    )
    await poll(
      `process ${processId} completed (bundle on chain)`,
      async () => (await api.get(`/api/v1/applications/${processId}`)).processStatus === 'completed',
      Math.max(0, until - Date.now()),
    )
  } catch {
    return null
  }
  const view = await api.post(`/api/v1/locker-assets/${doc.asset}/view`, {
    subject: locker.id, password: locker.password, reason: 'e2e: 公开核验前取得营业执照原件',
  })
  return { pdf: Buffer.from(view.content, 'base64'), payload: doc.payload, asset: doc.asset }
}
