// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import AuditView from '@/areas/isv/AuditView.vue'
import { alice, fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'

const perm = (...ps: string[]) => ps.map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
const auditor = { ...alice, roles: ['auditadmin'], permissions: perm('audit.log:read', 'audit.log:verify', 'audit.anchors:read') }
const record = (seq: number, action: string) => ({
  seq, time: '2026-11-01T00:00:00Z', actorKind: 'user', actorId: 'u1', actorName: 'root', action, resource: '/api/v1/x',
  result: 'ok', status: 200, source: '127.0.0.1', requestId: 'r' + seq, detail: '{}', prevHash: '00', hash: 'ab'.repeat(32),
})
const report = (ok: boolean) => ({
  ok, rows: 42, headSeq: 42, headHash: 'cd'.repeat(32), anchors: 3, chainChecked: true, truncated: false, verifiedAt: '2026-11-01T00:00:00Z',
  problems: ok ? [] : [{ seq: 7, kind: 'altered', detail: 'hash mismatch' }],
})

async function open(verification: object) {
  const api = fakeApi({
    'GET /api/v1/audit/records': (r) =>
      jsonResponse(200, new URL(r.url).searchParams.get('action') ? { items: [record(2, 'identity.login')] } : { items: [record(2, 'identity.login'), record(1, 'POST /api/v1/users')] }),
    'GET /api/v1/audit/anchors': () => jsonResponse(200, { items: [] }),
    'POST /api/v1/audit/verification': () => jsonResponse(200, verification),
  })
  const page = await mountPage(AuditView, { path: '/audit/records', auth: fakeAuth({ me: async () => auditor }), fetch: api.fetch })
  await (await import('@/auth/session')).useSession().ensureLoaded()
  await flushPromises()
  await vi.waitFor(() => expect(page.wrapper.findAll('.el-table__row').length).toBeGreaterThan(0))
  return { ...page, api }
}

describe('AuditView', { timeout: 20_000 }, () => {
  it('lists the records and filters them by action', async () => {
    const { wrapper, api } = await open(report(true))
    expect(wrapper.findAll('.el-table__row')).toHaveLength(2)
    await wrapper.find('input[aria-label="操作"]').setValue('identity.login')
    await wrapper.find('form.filters').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.findAll('.el-table__row')).toHaveLength(1))
    expect(api.calls.at(-1)!.key).toBe('GET /api/v1/audit/records')
  })

  it('says when the chain is intact', async () => {
    const { wrapper } = await open(report(true))
    await wrapper.findAll('button').find((b) => b.text() === '校验审计链')!.trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('审计链完整：42 条记录均未被篡改')
    expect(wrapper.text()).toContain('已与区块链上的最新锚点核对')
  })

  it('lists each problem a verification found', async () => {
    const { wrapper } = await open(report(false))
    await wrapper.findAll('button').find((b) => b.text() === '校验审计链')!.trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('审计链校验发现 1 个问题')
    expect(wrapper.text()).toContain('#7 记录被修改：hash mismatch')
  })
})
