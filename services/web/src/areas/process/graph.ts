// A process definition as a graph (7.5 c): the department steps are the
// nodes, each dependency an edge from the step depended on to the step
// that waits for it; steps with the same dependencies run in parallel.
// validateSteps finds before saving what the registry would refuse
// (registry.Definition.Validate) plus what it cannot say at one field —
// the steps of a cycle and the steps behind one, which could never start —
// so the editor can mark them on the graph. layoutSteps places the nodes
// in columns by depth, the way the platform orders them.
import type { components } from '@/api/schema.gen'

export type Step = components['schemas']['DefinitionStep']

/** The registry's code pattern (RegistryCode in the contract). */
export const codePattern = /^[a-z][a-z0-9-]{1,39}$/
/** The longest time limit of a step, a year (registry.MaxLimitSeconds). */
export const maxLimitSeconds = 366 * 24 * 3600
/** The most steps a process may have (model.MaxSteps). */
export const maxSteps = 32

export type IssueCode =
  | 'noSteps'
  | 'tooManySteps'
  | 'keyFormat'
  | 'keyDuplicate'
  | 'departmentMissing'
  | 'departmentUnknown'
  | 'limitRange'
  | 'selfDependency'
  | 'unknownDependency'
  | 'duplicateDependency'
  | 'cycle'
  | 'unreachable'
  | 'server'

/** One problem: at a step (its index) and field, or of the whole definition. */
export interface Issue {
  code: IssueCode
  step?: number
  field?: 'key' | 'department' | 'limitSeconds' | 'dependsOn'
  /** For dependency problems: the step depended on. */
  dependency?: string
  /** For a cycle: the keys of the steps on it. */
  keys?: string[]
  /** For the server's refusal (`server`): its words. */
  detail?: string
}

/** An edge: `to` depends on `from` (both step keys). */
export interface Edge {
  from: string
  to: string
}

export function edgesOf(steps: readonly Step[]): Edge[] {
  return steps.flatMap((s) => (s.dependsOn ?? []).map((d) => ({ from: d, to: s.key })))
}

/**
 * reachFrom returns, for each step index, the indexes reachable by
 * following edges forwards (from a step to those that depend on it).
 */
function reachFrom(steps: readonly Step[]): Set<number>[] {
  const index = new Map(steps.map((s, i) => [s.key, i]))
  const next: number[][] = steps.map(() => [])
  steps.forEach((s, i) => {
    for (const d of s.dependsOn ?? []) {
      const j = index.get(d)
      if (j !== undefined) next[j]!.push(i)
    }
  })
  return steps.map((_, start) => {
    const seen = new Set<number>()
    const stack = [...next[start]!]
    while (stack.length) {
      const n = stack.pop()!
      if (seen.has(n)) continue
      seen.add(n)
      stack.push(...next[n]!)
    }
    return seen
  })
}

/**
 * validateSteps checks steps as the registry will, and marks the cycles:
 * every step on a cycle gets a `cycle` issue with the cycle's keys, every
 * step that waits (directly or not) on a cycle an `unreachable` one.
 * known is the set of department codes, when known.
 */
export function validateSteps(steps: readonly Step[], known?: ReadonlySet<string>): Issue[] {
  const out: Issue[] = []
  if (steps.length === 0) out.push({ code: 'noSteps' })
  if (steps.length > maxSteps) out.push({ code: 'tooManySteps' })
  const keys = new Map<string, number>()
  steps.forEach((s, i) => {
    if (!codePattern.test(s.key)) out.push({ code: 'keyFormat', step: i, field: 'key' })
    else if (keys.has(s.key)) out.push({ code: 'keyDuplicate', step: i, field: 'key' })
    else keys.set(s.key, i)
    if (!s.department) out.push({ code: 'departmentMissing', step: i, field: 'department' })
    else if (known && !known.has(s.department)) out.push({ code: 'departmentUnknown', step: i, field: 'department' })
    if (!Number.isInteger(s.limitSeconds) || s.limitSeconds < 1 || s.limitSeconds > maxLimitSeconds) {
      out.push({ code: 'limitRange', step: i, field: 'limitSeconds' })
    }
  })
  steps.forEach((s, i) => {
    const seen = new Set<string>()
    for (const d of s.dependsOn ?? []) {
      if (d === s.key) out.push({ code: 'selfDependency', step: i, field: 'dependsOn', dependency: d })
      else if (!keys.has(d)) out.push({ code: 'unknownDependency', step: i, field: 'dependsOn', dependency: d })
      else if (seen.has(d)) out.push({ code: 'duplicateDependency', step: i, field: 'dependsOn', dependency: d })
      seen.add(d)
    }
  })
  const reach = reachFrom(steps)
  const onCycle = steps.map((s, i) => reach[i]!.has(i) && !(s.dependsOn ?? []).includes(s.key))
  steps.forEach((_, i) => {
    if (onCycle[i]) {
      const cycle = steps.filter((_, j) => onCycle[j] && reach[i]!.has(j) && reach[j]!.has(i)).map((s) => s.key)
      out.push({ code: 'cycle', step: i, field: 'dependsOn', keys: cycle })
    } else if (steps.some((_, j) => onCycle[j] && reach[j]!.has(i))) {
      out.push({ code: 'unreachable', step: i, field: 'dependsOn' })
    }
  })
  return out
}

/** cycleEdges are the edges that lie on a cycle (`from>to`: each end reaches the other). */
export function cycleEdges(steps: readonly Step[]): Set<string> {
  const reach = reachFrom(steps)
  const index = new Map(steps.map((s, i) => [s.key, i]))
  const out = new Set<string>()
  for (const e of edgesOf(steps)) {
    const a = index.get(e.from)
    const b = index.get(e.to)
    if (a !== undefined && b !== undefined && a !== b && reach[b]!.has(a)) out.add(`${e.from}>${e.to}`)
  }
  return out
}

/**
 * depths returns each step's depth: the longest chain of dependencies
 * before it (0 for a step that waits on none). Steps on or behind a cycle
 * are placed one column after the deepest of their other dependencies.
 */
export function depths(steps: readonly Step[]): number[] {
  const index = new Map(steps.map((s, i) => [s.key, i]))
  const depth = steps.map(() => 0)
  // Longest path by relaxation: at most n rounds settle a DAG; a cycle
  // would grow forever, so it is stopped there.
  for (let round = 0; round < steps.length; round++) {
    let changed = false
    steps.forEach((s, i) => {
      for (const d of s.dependsOn ?? []) {
        const j = index.get(d)
        if (j === undefined || j === i) continue
        if (depth[j]! + 1 > depth[i]! && depth[j]! + 1 <= steps.length) {
          depth[i] = depth[j]! + 1
          changed = true
        }
      }
    })
    if (!changed) break
  }
  return depth
}

export interface Placed {
  index: number
  x: number
  y: number
}

export interface Layout {
  nodes: Placed[]
  width: number
  height: number
  columns: number
}

export const nodeWidth = 168
export const nodeHeight = 64
const gapX = 72
const gapY = 24
const pad = 16

/**
 * layoutSteps places each step in the column of its depth, ordered by key
 * inside it (the registry's canonical order), columns centred vertically.
 * extraColumns leaves room after the last column (the unified issuance).
 */
export function layoutSteps(steps: readonly Step[], extraColumns = 0): Layout {
  const depth = depths(steps)
  const columns: number[][] = []
  steps.forEach((_, i) => (columns[depth[i]!] ??= []).push(i))
  const filled = columns.filter((c) => c && c.length)
  for (const c of filled) c.sort((a, b) => steps[a]!.key.localeCompare(steps[b]!.key))
  const tallest = Math.max(1, ...filled.map((c) => c.length))
  const height = pad * 2 + tallest * nodeHeight + (tallest - 1) * gapY
  const nodes: Placed[] = []
  filled.forEach((col, ci) => {
    const colHeight = col.length * nodeHeight + (col.length - 1) * gapY
    const top = (height - colHeight) / 2
    col.forEach((index, r) => nodes.push({ index, x: pad + ci * (nodeWidth + gapX), y: top + r * (nodeHeight + gapY) }))
  })
  const n = filled.length + extraColumns
  return { nodes, width: pad * 2 + Math.max(1, n) * nodeWidth + Math.max(0, n - 1) * gapX, height, columns: filled.length }
}

/** sinks are the steps nothing depends on: the unified issuance waits on them. */
export function sinks(steps: readonly Step[]): number[] {
  const depended = new Set(steps.flatMap((s) => s.dependsOn ?? []))
  return steps.flatMap((s, i) => (depended.has(s.key) ? [] : [i]))
}

/** renameStep gives step i a new key and keeps the dependencies on it. */
export function renameStep(steps: Step[], i: number, key: string): Step[] {
  const old = steps[i]!.key
  return steps.map((s, j) =>
    j === i ? { ...s, key } : { ...s, dependsOn: (s.dependsOn ?? []).map((d) => (d === old ? key : d)) },
  )
}

/** removeStep takes step i out, and the dependencies on it. */
export function removeStep(steps: Step[], i: number): Step[] {
  const key = steps[i]!.key
  return steps.filter((_, j) => j !== i).map((s) => ({ ...s, dependsOn: (s.dependsOn ?? []).filter((d) => d !== key) }))
}

/** addEdge makes `to` depend on `from` (no change if it already does or from is to). */
export function addEdge(steps: Step[], from: string, to: string): Step[] {
  if (from === to) return steps
  return steps.map((s) =>
    s.key === to && !(s.dependsOn ?? []).includes(from) ? { ...s, dependsOn: [...(s.dependsOn ?? []), from] } : s,
  )
}

export function removeEdge(steps: Step[], from: string, to: string): Step[] {
  return steps.map((s) => (s.key === to ? { ...s, dependsOn: (s.dependsOn ?? []).filter((d) => d !== from) } : s))
}

/** newKey is a free key "step-N". */
export function newKey(steps: readonly Step[]): string {
  const used = new Set(steps.map((s) => s.key))
  let n = steps.length + 1
  while (used.has(`step-${n}`)) n++
  return `step-${n}`
}

/**
 * forSaving is the body of a new version: empty optional fields left out,
 * as the registry stores them.
 */
export function forSaving(steps: readonly Step[]): Step[] {
  return steps.map((s) => {
    const out: Step = { key: s.key, department: s.department, limitSeconds: s.limitSeconds }
    if (s.name) out.name = s.name
    if (s.service) out.service = s.service
    for (const f of ['dependsOn', 'inputs', 'outputs', 'shared', 'accumulated', 'pushed'] as const) {
      if (s[f]?.length) out[f] = [...s[f]!]
    }
    return out
  })
}

/**
 * pointerStep maps a field pointer of the API's problem (`/steps/2/dependsOn/0`)
 * to the step and field it names, so the server's refusal lands on the graph too.
 */
export function pointerStep(pointer: string): { step: number; field: string } | null {
  const m = /^\/?steps[/.](\d+)(?:[/.]([A-Za-z]+))?/.exec(pointer)
  return m ? { step: Number(m[1]), field: m[2] ?? '' } : null
}
