// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import AsyncState from '@/components/AsyncState.vue'
import MaskedText from '@/components/MaskedText.vue'
import UploadField from '@/components/UploadField.vue'
import { ApiError } from '@/api/problem'
import type { Uploader } from '@/api/upload'
import { accepts, formatBytes } from '@/api/upload'
import { createPortalI18n } from '@/i18n'

const global = () => ({ plugins: [createPortalI18n('zh-CN')] })

describe('MaskedText', () => {
  it('marks the masked part for the eye and for screen readers', () => {
    const w = mount(MaskedText, { props: { value: '370102********1234' }, global: global() })
    expect(w.text()).toContain('370102********1234')
    expect(w.find('.mask').attributes('aria-hidden')).toBe('true')
    expect(w.find('.sr-only').text()).toBe('（部分已隐藏）')
    expect(w.find('button').exists()).toBe(false)
  })

  it('shows a value that is not masked as it is', () => {
    const w = mount(MaskedText, { props: { value: 'alice' }, global: global() })
    expect(w.text()).toBe('alice')
    expect(w.find('.sr-only').exists()).toBe(false)
  })

  it('reveals the full value through the API, and hides it again', async () => {
    const reveal = vi.fn(async () => '张三丰')
    const w = mount(MaskedText, { props: { value: '张**', reveal }, global: global() })
    await w.find('button').trigger('click')
    await flushPromises()
    expect(reveal).toHaveBeenCalledOnce()
    expect(w.text()).toContain('张三丰')
    expect(w.find('button').text()).toBe('隐藏')
    await w.find('button').trigger('click')
    expect(w.text()).toContain('张**')
  })

  it('passes a refused reveal on', async () => {
    const refused = new ApiError({ type: 'urn:kaiban:problem:denied', title: '', status: 403 })
    const w = mount(MaskedText, { props: { value: '张**', reveal: async () => Promise.reject(refused) }, global: global() })
    await w.find('button').trigger('click')
    await flushPromises()
    expect(w.emitted('error')?.[0]).toEqual([refused])
    expect(w.text()).toContain('张**')
  })
})

describe('AsyncState', () => {
  const content = defineComponent({ render: () => h('p', { class: 'content' }, 'the data') })
  const state = (props: Record<string, unknown>) =>
    mount(AsyncState, { props, slots: { default: content }, global: global() })

  it('shows loading, busy for assistive technology', () => {
    const w = state({ loading: true })
    expect(w.find('[role="status"]').attributes('aria-busy')).toBe('true')
    expect(w.text()).toContain('正在加载')
    expect(w.find('.content').exists()).toBe(false)
  })

  it('shows a failure with its request ID and a retry', async () => {
    const err = new ApiError({ type: 'urn:kaiban:problem:unavailable', title: '', status: 503, detail: 'database down', requestId: 'r-42' })
    const w = state({ error: err })
    expect(w.find('[role="alert"]').text()).toContain('服务暂不可用')
    expect(w.text()).toContain('database down')
    expect(w.text()).toContain('请求编号：r-42')
    await w.find('button').trigger('click')
    expect(w.emitted('retry')).toHaveLength(1)
  })

  it('shows a refusal as no permission, without a retry', () => {
    const w = state({ error: new ApiError({ type: 'urn:kaiban:problem:denied', title: '', status: 403 }) })
    expect(w.text()).toContain('无权访问')
    expect(w.find('button').exists()).toBe(false)
  })

  it('shows empty, then the content', () => {
    expect(state({ empty: true, emptyText: '暂无用户' }).text()).toContain('暂无用户')
    expect(state({}).find('.content').exists()).toBe(true)
  })
})

describe('UploadField', () => {
  function pick(w: ReturnType<typeof mount>, file: File) {
    const input = w.find('input[type="file"]')
    Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
    return input.trigger('change')
  }

  it('sends the file with XMLHttpRequest when given no uploader', async () => {
    const opened: string[] = []
    class FakeXHR {
      upload = { onprogress: null }
      status = 201
      statusText = 'Created'
      responseText = '{"id":"m1"}'
      onload: (() => void) | null = null
      open(method: string, url: string) {
        opened.push(`${method} ${url}`)
      }
      setRequestHeader() {}
      getResponseHeader() {
        return null
      }
      send() {
        setTimeout(() => this.onload?.())
      }
    }
    vi.stubGlobal('XMLHttpRequest', FakeXHR)
    try {
      const w = mount(UploadField, { props: { url: '/api/v1/materials' }, global: global() })
      await pick(w, new File(['x'], 'a.pdf', { type: 'application/pdf' }))
      await vi.waitFor(() => expect(w.emitted('uploaded')?.[0]?.[0]).toEqual({ id: 'm1' }))
      expect(opened).toEqual(['POST /api/v1/materials'])
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('shows the progress of an upload, then its end', async () => {
    let progress: ((p: { loaded: number; total: number }) => void) | undefined
    let finish: (v: unknown) => void = () => undefined
    const uploader: Uploader = (_url, _file, o) => {
      progress = o?.onProgress
      return new Promise((resolve) => (finish = resolve))
    }
    const w = mount(UploadField, { props: { url: '/api/v1/materials', uploader }, global: global() })
    await pick(w, new File(['x'.repeat(2048)], '营业执照.pdf', { type: 'application/pdf' }))
    progress?.({ loaded: 1024, total: 2048 })
    await flushPromises()
    expect(w.find('[role="progressbar"]').attributes('aria-valuenow')).toBe('50')
    expect(w.text()).toContain('正在上传 营业执照.pdf')
    expect(w.find('button.el-button--danger').text()).toBe('取消上传')
    finish({ id: 'obj-1' })
    await flushPromises()
    expect(w.text()).toContain('营业执照.pdf 上传完成')
    expect(w.emitted('uploaded')?.[0]?.[0]).toEqual({ id: 'obj-1' })
  })

  it('refuses a file too large or of the wrong type before sending a byte', async () => {
    const uploader = vi.fn<Uploader>()
    const w = mount(UploadField, { props: { url: '/x', uploader, maxBytes: 1024, accept: '.pdf,image/*' }, global: global() })
    await pick(w, new File(['x'.repeat(2048)], 'big.pdf', { type: 'application/pdf' }))
    expect(w.text()).toContain('文件超过 1.0 KB 的上限')
    await pick(w, new File(['x'], 'a.exe', { type: 'application/x-msdownload' }))
    expect(w.text()).toContain('不支持此文件类型')
    expect(uploader).not.toHaveBeenCalled()
  })

  it('says why an upload failed', async () => {
    const uploader: Uploader = async () => {
      throw new ApiError({ type: 'urn:kaiban:problem:too-large', title: '', status: 413, detail: 'over 16 MiB' })
    }
    const w = mount(UploadField, { props: { url: '/x', uploader }, global: global() })
    await pick(w, new File(['x'], 'a.pdf', { type: 'application/pdf' }))
    await flushPromises()
    expect(w.find('.line.failed').text()).toContain('a.pdf 上传失败：提交的内容过大（over 16 MiB）')
    expect(w.emitted('failed')).toHaveLength(1)
  })

  it('formats sizes and matches accept lists', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB')
    const png = new File([''], 'a.PNG', { type: 'image/png' })
    expect(accepts('image/*', png)).toBe(true)
    expect(accepts('.png', png)).toBe(true)
    expect(accepts('.pdf,application/pdf', png)).toBe(false)
    expect(accepts(undefined, png)).toBe(true)
  })
})
