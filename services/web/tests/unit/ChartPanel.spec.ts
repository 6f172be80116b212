// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ChartPanel from '@/components/ChartPanel.vue'
import { createPortalI18n } from '@/i18n'

const global = () => ({ plugins: [createPortalI18n('zh-CN')] })

describe('ChartPanel', () => {
  it('gives the figures as a table beside the chart', async () => {
    const w = mount(ChartPanel, {
      props: {
        title: '各部门办件量',
        categories: ['市场监管', '公安', '税务'],
        series: [
          { name: '受理', values: [12, 7, 9] },
          { name: '办结', values: [10, 7, 8] },
        ],
      },
      global: global(),
      attachTo: document.body,
    })
    await flushPromises()
    expect(w.find('figcaption').text()).toBe('各部门办件量')
    const rows = w.findAll('tbody tr').map((r) => r.findAll('th, td').map((c) => c.text()))
    expect(rows).toEqual([
      ['市场监管', '12', '10'],
      ['公安', '7', '7'],
      ['税务', '9', '8'],
    ])
    expect(w.find('.chart').attributes('aria-hidden')).toBe('true')
  })

  it('says when there is nothing to chart', () => {
    const w = mount(ChartPanel, { props: { title: 't', categories: [], series: [] }, global: global() })
    expect(w.text()).toContain('暂无数据')
    expect(w.find('table').exists()).toBe(false)
  })
})
