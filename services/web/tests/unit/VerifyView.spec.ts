// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import VerifyView from '@/views/VerifyView.vue'
import { verdictOf } from '@/views/verify'
import { fakeApi, jsonResponse, mountPage, problemResponse } from './helpers'

const genuine = {
  valid: true, authentic: true, status: 'available', asset: 'asset-licence-1', kind: 'business-licence',
  uscc: '91370102MA3C4T5R1X', issuer: 'MarketMSP', issuedAt: '2026-11-24T08:00:00Z', digest: 'ab12', txId: 'tx-9',
}

describe('verdictOf', () => {
  it('tells genuine, revoked, tampered and unknown apart', () => {
    expect(verdictOf(genuine)).toBe('valid')
    expect(verdictOf({ ...genuine, valid: false, status: 'revoked', reason: 'revoked' })).toBe('revoked')
    expect(verdictOf({ valid: false, authentic: false, status: 'available', asset: 'a', reason: 'signature' })).toBe('tampered')
    expect(verdictOf({ valid: false, authentic: false, digest: 'ff', reason: 'no document with this SM3 digest' })).toBe('unknown')
  })
})

describe('VerifyView', () => {
  it('sends the PDF as application/pdf and shows a genuine licence with its chain record', async () => {
    const sent: { url: string; type: string; body?: string }[] = []
    const uploader = vi.fn(async (url: string, file: File, o?: { body?: string }) => {
      sent.push({ url, type: file.type, body: o?.body })
      return genuine
    })
    const { wrapper } = await mountPage(VerifyView, { path: '/verify', props: { uploader } })
    const input = wrapper.find('input[type="file"]')
    const file = new File(['%PDF-1.7'], 'licence.pdf', { type: '' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await flushPromises()
    expect(sent).toEqual([{ url: '/api/v1/issuance/verification/pdf', type: 'application/pdf', body: 'raw' }])
    const result = wrapper.find('[data-verdict]')
    expect(result.attributes('data-verdict')).toBe('valid')
    expect(result.text()).toContain('真实有效')
    expect(result.text()).toContain('营业执照')
    expect(result.text()).toContain('MarketMSP')
    expect(result.text()).toContain('91370102MA3C4T5R1X')
    expect(result.text()).toContain('tx-9')
    expect(result.text()).toContain('有效')
  })

  it('shows an altered PDF as not genuine, with the reason', async () => {
    const uploader = async () => ({ valid: false, authentic: false, digest: 'ff00', reason: 'no document with this SM3 digest was issued' })
    const { wrapper } = await mountPage(VerifyView, { path: '/verify', props: { uploader } })
    const input = wrapper.find('input[type="file"]')
    Object.defineProperty(input.element, 'files', { value: [new File(['x'], 'copy.pdf', { type: 'application/pdf' })] })
    await input.trigger('change')
    await flushPromises()
    const result = wrapper.find('[data-verdict]')
    expect(result.attributes('data-verdict')).toBe('unknown')
    expect(result.text()).toContain('不真实')
    expect(result.text()).toContain('no document with this SM3 digest was issued')
  })

  it('checks a QR payload; a revoked document is genuine but no longer valid; a malformed one is said at the field', async () => {
    const api = fakeApi({
      'POST /api/v1/issuance/verification/payload': async (r) => {
        const { payload } = (await r.json()) as { payload: string }
        if (payload === 'KBV1:garbage') {
          return problemResponse(400, { type: 'urn:kaiban:problem:invalid', detail: 'payload: not base64url' })
        }
        return jsonResponse(200, { ...genuine, valid: false, status: 'revoked', reason: 'the document is genuine but was revoked on chain' })
      },
    })
    const { wrapper } = await mountPage(VerifyView, { path: '/verify', fetch: api.fetch })
    await wrapper.find('textarea[name="payload"]').setValue('KBV1:garbage')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('.el-form-item__error').text()).toBe('payload: not base64url'))
    expect(wrapper.find('[data-verdict]').exists()).toBe(false)

    await wrapper.find('textarea[name="payload"]').setValue('KBV1:eyJhc3NldCI6ImEifQ')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const result = wrapper.find('[data-verdict]')
    expect(result.attributes('data-verdict')).toBe('revoked')
    expect(result.text()).toContain('证照真实，但已失效')
    expect(result.text()).toContain('已撤销')
    expect(api.calls.at(-1)!.body).toEqual({ payload: 'KBV1:eyJhc3NldCI6ImEifQ' })
  })
})
