// What the locker area's tests share: an applicant signed in, a locker, its
// assets as the API answers them, and opening the locker through the gate.
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { alice, jsonResponse } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))

export const applicant = {
  ...alice,
  id: '00000000-0000-4000-8000-0000000000a1',
  login: 'holder',
  roles: ['applicant'],
  permissions: perm('locker:read', 'locker:write', 'messages:read', 'messages:write'),
}

export const bankOfficer = {
  ...alice,
  id: '00000000-0000-4000-8000-0000000000b1',
  department: 'bank',
  roles: ['officer'],
  permissions: perm('locker:read', 'messages:read'),
}

export const lockerId = '0123456789abcdef0123456789abcdef'
export const licenceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
export const uploadId = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

export const locker = {
  id: lockerId, kind: 'enterprise', status: 'active', name: '济南市明湖信息技术有限公司', legalRepresentativeName: '张*',
  clerkId: 'clerk-1', applyWrite: 'k', createdAt: '2026-11-24T08:00:00Z',
}

export const assets = {
  items: [
    {
      id: licenceId, type: 'business-licence', owner: lockerId, issuer: 'MarketMSP', channel: 'department', status: 'available',
      createdAt: '2026-11-24T09:00:00Z', createdTx: 'tx-created-1', updatedTx: 'tx-updated-licence-0001', encryption: 'sm2',
    },
    {
      id: 'cccccccccccccccccccccccccccccccc', type: 'tax-registration', owner: lockerId, issuer: 'TaxMSP', channel: 'department',
      status: 'available', createdAt: '2026-11-24T09:01:00Z', createdTx: 'tx-tax',
    },
    {
      id: uploadId, type: 'articles-of-association', owner: lockerId, issuer: lockerId, channel: 'self', businessKey: 'articles-2026',
      status: 'pending-review', createdAt: '2026-11-24T09:02:00Z', createdTx: 'tx-up',
    },
  ],
}

/** The binding the server answers when the gate proves the unlock password. */
export const holding = { locker, since: '2026-11-24T10:00:00Z' }

/**
 * gateRoutes answer what the gate calls: the holdings (none yet) and the
 * binding that opening makes.
 */
export const gateRoutes = {
  'GET /api/v1/locker-holdings': () => jsonResponse(200, { items: [] }),
  [`POST /api/v1/lockers/${lockerId}/holders`]: () => jsonResponse(201, holding),
}

/** openGate fills the locker door (ID and unlock password) and opens it. */
export async function openGate(wrapper: VueWrapper, password = 'unlock password 1') {
  await wrapper.find('input[name="lockerId"]').setValue(lockerId)
  await wrapper.find('input[name="unlockPassword"]').setValue(password)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}
