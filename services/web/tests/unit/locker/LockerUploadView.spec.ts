// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import LockerUploadView from '@/areas/locker/LockerUploadView.vue'
import type { Uploader } from '@/api/upload'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage } from '../helpers'
import { applicant, assets, lockerId, openGate, uploadId, gateRoutes } from './fixtures'

// Each test mounts Element Plus and waits for the page; on the shared machine
// under load these views take seconds, hence the 20 s timeouts.
describe('LockerUploadView', () => {
  it('sends the file in the API’s JSON body with the unlock password, shows the progress, and lists the upload with its state', async () => {
    const api = fakeApi({
      ...gateRoutes,
      [`GET /api/v1/lockers/${lockerId}/assets`]: () => jsonResponse(200, assets),
    })
    const sent: { url: string; body: Record<string, string>; type: string }[] = []
    let progress: ((p: { loaded: number; total: number }) => void) | undefined
    let finish: (v: unknown) => void = () => undefined
    const uploader: Uploader = async (url, file, o) => {
      sent.push({ url, body: JSON.parse(await file.text()), type: file.type })
      progress = o?.onProgress
      return new Promise((resolve) => (finish = resolve))
    }
    const { wrapper } = await mountPage(LockerUploadView, {
      path: '/locker/uploads',
      props: { uploader },
      auth: fakeAuth({ me: async () => applicant }),
      fetch: api.fetch,
    })
    await useSession().ensureLoaded()
    await flushPromises()
    await openGate(wrapper, 'unlock pw 3')
    // Nothing can be sent before the type and business key are filled.
    await vi.waitFor(() => expect(wrapper.text()).toContain('请先填写资产类型和业务编号'))
    expect(wrapper.find('.upload-field button').attributes('disabled')).toBeDefined()
    await wrapper.find('input[name="assetType"]').setValue('articles-of-association')
    await wrapper.find('input[name="businessKey"]').setValue('articles-2026')

    const input = wrapper.find('input[type="file"]')
    const file = new File(['公司章程 第一条'], 'articles.txt', { type: 'text/plain' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await vi.waitFor(() => expect(sent).toHaveLength(1))
    expect(sent[0]!.url).toBe(`/api/v1/lockers/${lockerId}/uploads`)
    expect(sent[0]!.type).toBe('application/json')
    expect(sent[0]!.body).toMatchObject({ password: 'unlock pw 3', type: 'articles-of-association', businessKey: 'articles-2026', encryption: 'sm2' })
    expect(new TextDecoder().decode(Uint8Array.from(atob(sent[0]!.body.content!), (c) => c.charCodeAt(0)))).toBe('公司章程 第一条')
    progress!({ loaded: 50, total: 100 })
    await flushPromises()
    expect(wrapper.find('[role="progressbar"]').attributes('aria-valuenow')).toBe('50')
    finish({ assetId: uploadId, outboxKey: 'k', existing: false })
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('[data-test="upload-result"]').text()).toBe(`已上传，等待部门审核：资产 ${uploadId}`))
    const row = wrapper.find('.uploads .el-table__body-wrapper .el-table__row')
    expect(row.text()).toContain('articles-2026')
    expect(row.find('.upload-status').text()).toBe('待部门审核')
    expect(row.findAll('.el-step').map((s) => s.text())).toEqual(['已上传', '部门审核', '可信'])
  }, 20_000)
})
