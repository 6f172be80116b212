// A process timeline as bars: each step from when it became ready to its
// decision (or now while pending), the part past its deadline apart, and
// the interventions as marks — what GanttChart draws and its table lists.
import type { components } from '@/api/schema.gen'

export type Timeline = components['schemas']['ProcessTimeline']
export type TimelineStep = components['schemas']['TimelineStep']

export interface Bar {
  /** Row, in the definition's order. */
  row: number
  key: string
  department: string
  status: TimelineStep['status']
  start?: number
  end?: number
  deadline?: number
  /** Milliseconds past the deadline (0 when on time). */
  over: number
  late: boolean
  limitSeconds: number
  durationSeconds?: number
}

const ms = (s?: string) => (s ? new Date(s).getTime() : undefined)

/** bars turns a timeline into one bar per step. */
export function bars(tl: Timeline): Bar[] {
  const asOf = new Date(tl.asOf).getTime()
  return tl.steps.map((s, row) => {
    const start = ms(s.readyAt)
    const end = start === undefined ? undefined : (ms(s.decidedAt) ?? asOf)
    const deadline = ms(s.deadline)
    const over = end !== undefined && deadline !== undefined && end > deadline ? end - deadline : 0
    return {
      row, key: s.key, department: s.department, status: s.status, start, end, deadline, over,
      late: s.late || over > 0, limitSeconds: s.limitSeconds + s.extensionSeconds, durationSeconds: s.durationSeconds,
    }
  })
}

/** range is the time axis: the bars, and with limits the deadlines too, with a margin. */
export function range(bs: Bar[], withLimits: boolean): [number, number] | undefined {
  const ts = bs.flatMap((b) => [b.start, b.end, withLimits ? b.deadline : undefined]).filter((x): x is number => x !== undefined)
  if (ts.length === 0) return undefined
  const lo = Math.min(...ts)
  const hi = Math.max(...ts)
  const pad = Math.max((hi - lo) * 0.05, 1000)
  return [lo - pad, hi + pad]
}

/** duration writes seconds the way people say them, in units of the locale's texts. */
export function duration(seconds: number, u: { d: string; h: string; m: string; s: string }): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}${u.s}`
  if (s < 3600) return `${Math.floor(s / 60)}${u.m}${s % 60 ? ` ${s % 60}${u.s}` : ''}`
  if (s < 86400) return `${Math.floor(s / 3600)}${u.h}${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}${u.m}` : ''}`
  return `${Math.floor(s / 86400)}${u.d}${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)}${u.h}` : ''}`
}

/** share is a step's time used as a percentage of its limit. */
export function share(b: Bar): number | undefined {
  if (b.start === undefined || b.end === undefined || b.limitSeconds <= 0) return undefined
  return ((b.end - b.start) / 1000 / b.limitSeconds) * 100
}
