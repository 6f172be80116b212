// The monitoring API's series (one point per bucket) as the categories and
// values ChartPanel draws.
import type { components } from '@/api/schema.gen'
import type { Series } from '@/components/ChartPanel.vue'

type MonitoringSeries = components['schemas']['MonitoringSeries']

/** toChart aligns series on their buckets (the union of their points' times, in order). */
export function toChart(list: MonitoringSeries[], label: (at: string) => string, name: (s: string) => string = (s) => s) {
  const times = [...new Set(list.flatMap((s) => s.points.map((p) => p.at)))].sort((a, b) => new Date(a).getTime() - new Date(b).getTime())
  const series: Series[] = list.map((s) => {
    const by = new Map(s.points.map((p) => [p.at, p.count]))
    return { name: name(s.name), values: times.map((t) => by.get(t) ?? 0) }
  })
  return { categories: times.map(label), series }
}

/** counts turns kind/count pairs into one bar series. */
export function counts(items: { kind: string; count: number }[], name: string, label: (k: string) => string = (k) => k) {
  return { categories: items.map((i) => label(i.kind)), series: [{ name, values: items.map((i) => i.count) }] }
}
