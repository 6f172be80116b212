import { describe, expect, it } from 'vitest'
import { bars, duration, range, share, type Timeline } from '@/areas/supervision/timeline'
import { counts, toChart } from '@/areas/supervision/series'

export const timeline: Timeline = {
  process: { id: 'p1', item: 'establishment', status: 'running', createdAt: '2026-11-24T08:00:00Z' },
  asOf: '2026-11-24T10:00:00Z',
  overdue: 1,
  steps: [
    {
      key: 'licence', department: 'MarketMSP', dependsOn: [], status: 'approved', ready: true, readyAt: '2026-11-24T08:00:00Z',
      deadline: '2026-11-24T08:30:00Z', decidedAt: '2026-11-24T09:00:00Z', limitSeconds: 1800, extensionSeconds: 0,
      durationSeconds: 3600, overdueOnChain: true, late: true, interventions: 1, approver: 'u1', opinion: '准予登记',
    },
    {
      key: 'seal', department: 'SealMSP', dependsOn: ['licence'], status: 'pending', ready: true, readyAt: '2026-11-24T09:00:00Z',
      deadline: '2026-11-24T13:00:00Z', limitSeconds: 14400, extensionSeconds: 0, durationSeconds: 3600, overdueOnChain: false,
      late: false, interventions: 0,
    },
    { key: 'tax', department: 'TaxMSP', dependsOn: ['licence'], status: 'pending', ready: false, limitSeconds: 14400, extensionSeconds: 3600, overdueOnChain: false, late: false, interventions: 0 },
  ],
  interventions: [
    { id: 'i1', process: 'p1', step: 'licence', action: 'note', reason: '请尽快办理', by: 'OperatorMSP', at: '2026-11-24T08:40:00Z', txId: 'tx-intervene-1' },
  ],
}

describe('timeline bars', () => {
  it('draws each step from ready to decision or now, the overrun apart', () => {
    const bs = bars(timeline)
    expect(bs.map((b) => b.key)).toEqual(['licence', 'seal', 'tax'])
    expect(bs[0]!.over).toBe(30 * 60 * 1000)
    expect(bs[0]!.late).toBe(true)
    expect(bs[1]!.end).toBe(new Date('2026-11-24T10:00:00Z').getTime()) // pending: up to asOf
    expect(bs[1]!.over).toBe(0)
    expect(bs[2]!.start).toBeUndefined()
    expect(bs[2]!.limitSeconds).toBe(18000) // limit + extension
    expect(share(bs[0]!)).toBe(200)
  })

  it('spans the bars, or the deadlines too when asked', () => {
    const bs = bars(timeline)
    const [lo, hi] = range(bs, false)!
    expect(lo).toBeLessThan(new Date('2026-11-24T08:00:00Z').getTime())
    expect(hi).toBeLessThan(new Date('2026-11-24T13:00:00Z').getTime())
    expect(range(bs, true)![1]).toBeGreaterThan(new Date('2026-11-24T13:00:00Z').getTime())
    expect(range([], false)).toBeUndefined()
  })

  it('writes durations as people say them', () => {
    const u = { d: '天', h: '小时', m: '分', s: '秒' }
    expect(duration(12, u)).toBe('12秒')
    expect(duration(185, u)).toBe('3分 5秒')
    expect(duration(7200, u)).toBe('2小时')
    expect(duration(90000, u)).toBe('1天 1小时')
  })
})

describe('monitoring series', () => {
  it('aligns series on the union of their buckets', () => {
    const c = toChart(
      [
        { name: 'asset', total: 3, points: [{ at: '2026-11-24T09:00:00Z', count: 1 }, { at: '2026-11-24T10:00:00Z', count: 2 }] },
        { name: 'approval', total: 4, points: [{ at: '2026-11-24T08:00:00Z', count: 4 }] },
      ],
      (at) => at.slice(11, 16),
    )
    expect(c.categories).toEqual(['08:00', '09:00', '10:00'])
    expect(c.series).toEqual([
      { name: 'asset', values: [0, 1, 2] },
      { name: 'approval', values: [4, 0, 0] },
    ])
    expect(counts([{ kind: 'enterprise', count: 2 }], '数量')).toEqual({ categories: ['enterprise'], series: [{ name: '数量', values: [2] }] })
  })
})
