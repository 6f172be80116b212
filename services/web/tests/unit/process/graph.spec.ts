import { describe, expect, it } from 'vitest'
import {
  addEdge, cycleEdges, depths, forSaving, layoutSteps, pointerStep, removeEdge, removeStep, renameStep, sinks, validateSteps,
  type Step,
} from '@/areas/process/graph'

const h = 3600
const step = (key: string, department: string, dependsOn: string[] = []): Step => ({ key, department, limitSeconds: 4 * h, dependsOn })
// The seeded establishment: the licence, then six steps in parallel.
const establishment = [
  step('licence', 'market'),
  ...['seal', 'social', 'medical', 'housing-fund', 'bank', 'tax'].map((d) => step(d, d, ['licence'])),
]
const known = new Set(['market', 'seal', 'social', 'medical', 'housing-fund', 'bank', 'tax'])
const codes = (steps: Step[]) => validateSteps(steps, known).map((i) => `${i.code}@${i.step ?? '-'}`)

describe('validateSteps', () => {
  it('accepts serial and parallel steps', () => {
    expect(validateSteps(establishment, known)).toEqual([])
    expect(validateSteps([step('aa', 'market'), step('bb', 'tax', ['aa']), step('cc', 'bank', ['aa']), step('dd', 'seal', ['bb', 'cc'])], known)).toEqual([])
  })

  it('finds a cycle, marks every step on it and the steps behind it', () => {
    const steps = [step('aa', 'market'), step('bb', 'tax', ['aa', 'dd']), step('cc', 'bank', ['bb']), step('dd', 'seal', ['cc']), step('ee', 'social', ['dd'])]
    const issues = validateSteps(steps, known)
    expect(issues.filter((i) => i.code === 'cycle').map((i) => i.step)).toEqual([1, 2, 3])
    expect(issues.find((i) => i.code === 'cycle')!.keys).toEqual(['bb', 'cc', 'dd'])
    // ee waits on dd, which never finishes: it could never start.
    expect(issues.filter((i) => i.code === 'unreachable').map((i) => i.step)).toEqual([4])
    // aa is before the cycle and fine.
    expect(issues.some((i) => i.step === 0)).toBe(false)
    expect([...cycleEdges(steps)].sort()).toEqual(['bb>cc', 'cc>dd', 'dd>bb'])
  })

  it('finds a missing or unknown department, bad keys, limits and dependencies', () => {
    expect(codes([step('a1', '')])).toEqual(['departmentMissing@0'])
    expect(codes([step('a1', 'police')])).toEqual(['departmentUnknown@0'])
    // Without the list of departments an unknown code is left to the API.
    expect(validateSteps([step('a1', 'police')])).toEqual([])
    expect(codes([step('A b', 'tax')])).toEqual(['keyFormat@0'])
    expect(codes([step('a1', 'tax'), step('a1', 'bank')])).toEqual(['keyDuplicate@1'])
    expect(codes([{ ...step('a1', 'tax'), limitSeconds: 0 }])).toEqual(['limitRange@0'])
    expect(codes([{ ...step('a1', 'tax'), limitSeconds: 366 * 24 * h + 1 }])).toEqual(['limitRange@0'])
    expect(codes([step('a1', 'tax', ['a1'])])).toEqual(['selfDependency@0'])
    expect(codes([step('a1', 'tax', ['zz'])])).toEqual(['unknownDependency@0'])
    expect(codes([step('a1', 'tax'), step('b1', 'bank', ['a1', 'a1'])])).toEqual(['duplicateDependency@1'])
    expect(codes([])).toEqual(['noSteps@-'])
    expect(codes(Array.from({ length: 33 }, (_, i) => step(`s${i}`, 'tax')))).toEqual(['tooManySteps@-'])
  })
})

describe('layout', () => {
  it('puts each step in the column of its depth, parallel steps in one column ordered by key', () => {
    expect(depths(establishment)).toEqual([0, 1, 1, 1, 1, 1, 1])
    const l = layoutSteps(establishment, 1)
    expect(l.columns).toBe(2)
    const col1 = l.nodes.filter((n) => n.x === l.nodes.find((m) => m.index === 1)!.x).map((n) => establishment[n.index]!.key)
    expect(col1).toEqual(['bank', 'housing-fund', 'medical', 'seal', 'social', 'tax'])
    // The licence sits in the middle of the column's height.
    const lic = l.nodes.find((n) => n.index === 0)!
    expect(lic.y).toBeGreaterThan(l.height / 3)
    expect(sinks(establishment)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('does not loop on a cycle', () => {
    const d = depths([step('a', 'x', ['b']), step('b', 'x', ['a'])])
    expect(d.every((n) => n <= 2)).toBe(true)
  })
})

describe('editing', () => {
  it('renames a step together with the dependencies on it, and removes one with its edges', () => {
    const renamed = renameStep(establishment, 0, 'permit')
    expect(renamed[0]!.key).toBe('permit')
    expect(renamed.slice(1).every((s) => s.dependsOn![0] === 'permit')).toBe(true)
    const removed = removeStep(establishment, 0)
    expect(removed).toHaveLength(6)
    expect(removed.every((s) => s.dependsOn!.length === 0)).toBe(true)
  })

  it('adds an edge once and removes it', () => {
    const a = addEdge(establishment, 'seal', 'tax')
    expect(a.find((s) => s.key === 'tax')!.dependsOn).toEqual(['licence', 'seal'])
    expect(addEdge(a, 'seal', 'tax')).toEqual(a)
    expect(addEdge(a, 'tax', 'tax')).toEqual(a)
    expect(removeEdge(a, 'seal', 'tax').find((s) => s.key === 'tax')!.dependsOn).toEqual(['licence'])
  })

  it('saves without empty optional fields', () => {
    expect(forSaving([{ key: 'a1', department: 'tax', limitSeconds: 60, name: '', dependsOn: [], inputs: ['form'], outputs: [] }])).toEqual([
      { key: 'a1', department: 'tax', limitSeconds: 60, inputs: ['form'] },
    ])
  })

  it('maps the API field pointers to steps', () => {
    expect(pointerStep('steps.2.dependsOn.0')).toEqual({ step: 2, field: 'dependsOn' })
    expect(pointerStep('/steps/0/department')).toEqual({ step: 0, field: 'department' })
    expect(pointerStep('steps')).toBeNull()
  })
})
