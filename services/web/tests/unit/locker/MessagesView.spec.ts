// @vitest-environment jsdom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import MessagesView from '@/areas/locker/MessagesView.vue'
import { useSession } from '@/auth/session'
import { fakeApi, fakeAuth, jsonResponse, mountPage, problemResponse } from '../helpers'
import { applicant } from './fixtures'

/** A stand-in for the browser's EventSource: the test opens it and pushes events. */
class FakeSource extends EventTarget {
  url: string
  closed = false
  onopen: (() => void) | null = null
  onerror: (() => void) | null = null
  constructor(url: string) {
    super()
    this.url = url
  }
  push(m: unknown) {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(m), lastEventId: String((m as { id: number }).id) }))
  }
  close() {
    this.closed = true
  }
}

const me = `user:${applicant.id}`
const first = { id: 1, from: { kind: 'member', id: 'BankMSP' }, to: { kind: 'user', id: applicant.id }, topic: 'note', title: '开户资料已收到', body: '', createdAt: '2026-11-24T10:00:00Z' }

async function mountMessages(extra: Parameters<typeof fakeApi>[0] = {}) {
  let source: FakeSource | undefined
  const api = fakeApi({
    'GET /api/v1/messages': (r) =>
      jsonResponse(200, {
        items: new URL(r.url).searchParams.get('box') === 'sent'
          ? [{ ...first, id: 7, from: { kind: 'user', id: applicant.id }, to: { kind: 'member', id: 'BankMSP' }, title: '补充材料', deliveredAt: '2026-11-24T10:05:00Z' }]
          : [first],
      }),
    'POST /api/v1/messages/1/read': () => jsonResponse(200, { ...first, readAt: '2026-11-24T10:10:00Z' }),
    'POST /api/v1/messages': () => jsonResponse(201, { ...first, id: 8 }),
    ...extra,
  })
  const p = await mountPage(MessagesView, {
    path: '/locker/messages',
    props: { connect: (url: string) => (source = new FakeSource(url)) as unknown as EventSource },
    auth: fakeAuth({ me: async () => applicant }),
    fetch: api.fetch,
  })
  await useSession().ensureLoaded()
  await flushPromises()
  return { ...p, api, source: () => source! }
}

// Each test mounts Element Plus and waits for the page; on the shared machine
// under load these views take seconds, hence the 20 s timeouts.
describe('MessagesView', () => {
  it('lists the inbox, receives a message live from the stream, and says whether it is connected', async () => {
    const { wrapper, source } = await mountMessages()
    expect(source().url).toBe('/api/v1/messages/stream')
    expect(wrapper.find('.live').text()).toBe('实时连接已断开，正在重连…')
    source().onopen!()
    await flushPromises()
    expect(wrapper.find('.live').text()).toBe('实时接收中')
    expect(wrapper.text()).toContain(`我的邮箱：${me}`)
    await vi.waitFor(() => expect(wrapper.findAll('.inbox .el-table__body-wrapper .el-table__row')).toHaveLength(1))
    source().push({ ...first, id: 2, title: '授权请求即将到期', topic: 'locker.reminder', from: { kind: 'system', id: 'kaiban' } })
    source().push({ ...first, id: 2, title: '授权请求即将到期', topic: 'locker.reminder', from: { kind: 'system', id: 'kaiban' } })
    await flushPromises()
    const rows = wrapper.findAll('.inbox .el-table__body-wrapper .el-table__row')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.text()).toContain('授权请求即将到期')
    expect(rows[0]!.text()).toContain('system:kaiban')
  }, 20_000)

  it('records the read receipt of a received message', async () => {
    const { wrapper, api } = await mountMessages()
    await vi.waitFor(() => expect(wrapper.find('.inbox .el-table__body-wrapper').text()).toContain('标为已读'))
    await wrapper.findAll('.inbox button').find((b) => b.text() === '标为已读')!.trigger('click')
    await flushPromises()
    expect(api.calls.map((c) => c.key)).toContain('POST /api/v1/messages/1/read')
    expect(wrapper.find('.inbox .el-table__body-wrapper').text()).not.toContain('标为已读')
  }, 20_000)

  it('shows the sent box with delivery and read receipts', async () => {
    const { wrapper } = await mountMessages()
    await wrapper.findAll('.el-tabs__item').find((t) => t.text() === '已发送')!.trigger('click')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.find('.sent .el-table__body-wrapper').text()).toContain('补充材料'))
    expect(wrapper.find('.sent .el-table__body-wrapper').text()).toContain('未读')
  }, 20_000)

  it('sends a message, with the API’s field errors next to the fields', async () => {
    const { wrapper, api } = await mountMessages({
      'POST /api/v1/messages': () =>
        problemResponse(400, { type: 'urn:kaiban:problem:invalid', errors: [{ in: 'body', field: '/to', detail: 'must be kind:id' }] }),
    })
    await wrapper.findAll('button').find((b) => b.text() === '发送消息')!.trigger('click')
    await flushPromises()
    const set = (name: string, v: string) => {
      const el = document.querySelector(`.el-dialog [name="${name}"]`) as HTMLInputElement
      el.value = v
      el.dispatchEvent(new Event('input'))
    }
    set('to', 'bank')
    set('title', '补充材料')
    ;(document.querySelector('.el-dialog form') as HTMLFormElement).dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(api.calls.find((c) => c.key === 'POST /api/v1/messages')!.body).toEqual({ to: 'bank', topic: 'note', title: '补充材料', body: '' })
    await vi.waitFor(() => expect(document.querySelector('.el-dialog .el-form-item__error')?.textContent).toContain('must be kind:id'))
  }, 20_000)

  it('closes the stream when the page goes', async () => {
    const { wrapper, source } = await mountMessages()
    wrapper.unmount()
    expect(source().closed).toBe(true)
  }, 20_000)
})
