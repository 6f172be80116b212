// The establishment form's rules in the browser agree with the server's
// (services/internal/acceptance): the check characters against a table the
// Go test checks too, and the name rules on the Go tests' own cases.
import { describe, expect, it } from 'vitest'
import {
  amountFen, nameProblem, residentCheckChar, residentIdProblem, shareholdersProblem, usccCheckChar, usccProblem, validUSCC,
} from '@/areas/window/validation'
import table from './checkdigits.json'

describe('check characters', () => {
  it('match the Go implementation on the shared table (GB 11643-1999 and GB 32100-2015)', () => {
    for (const c of table.resident) expect(residentCheckChar(c.body), c.body).toBe(c.check)
    for (const c of table.uscc) expect(usccCheckChar(c.body), c.body).toBe(c.check)
    expect(table.resident.length).toBeGreaterThanOrEqual(100)
    expect(table.resident.some((c) => c.check === 'X')).toBe(true)
  })

  it('judge resident ID numbers as the server does', () => {
    expect(residentIdProblem('11010519491231002X')).toBe('') // the standard's own example
    expect(residentIdProblem('110105194912310021')).toBe('idCheck')
    expect(residentIdProblem('11010519491231002x')).toBe('idFormat') // lower-case x
    expect(residentIdProblem('440524188001010014')).toBe('idBirth') // born 1880
    expect(residentIdProblem('11010519491331002X')).toBe('idBirth') // month 13
    const feb29 = '11010520010229123'
    expect(residentIdProblem(feb29 + residentCheckChar(feb29))).toBe('idBirth') // 2001 is no leap year
    expect(residentIdProblem('1101051949123100')).toBe('idFormat')
    expect(residentIdProblem('')).toBe('required')
    const future = `1101053000010100${'1'}`
    expect(residentIdProblem(future + residentCheckChar(future), new Date('2026-11-24T00:00:00Z'))).toBe('idBirth')
  })

  it('judge USCCs as the server does', () => {
    expect(validUSCC('91350100M000100Y43')).toBe(true)
    expect(validUSCC('91110000600037341L')).toBe(true)
    expect(usccProblem('91110000600037341M')).toBe('usccCheck')
    expect(usccProblem('9135010OM000100Y43')).toBe('usccFormat') // letter O in the division
    expect(usccProblem('91350100I000100Y43')).toBe('usccFormat') // I is not in the alphabet
    expect(usccProblem('91350100M000100Y4')).toBe('usccFormat')
  })
})

describe('enterprise name', () => {
  it('follows the rules of acceptance.checkName', () => {
    expect(nameProblem('济南市明湖信息技术有限公司', 'llc')).toBeNull()
    expect(nameProblem('明湖（济南）信息技术有限公司', 'llc')).toBeNull()
    expect(nameProblem('', 'llc')?.code).toBe('required')
    expect(nameProblem('济南市Minghu信息技术有限公司', 'llc')).toEqual({ code: 'nameChars', arg: 'M' })
    expect(nameProblem('济南市中国信息技术有限公司', 'llc')).toEqual({ code: 'nameForbidden', arg: '中国' })
    expect(nameProblem('明湖信息技术有限公司', 'llc')?.code).toBe('nameDivision')
    expect(nameProblem('济南市明湖信息技术有限公司', 'joint-stock')?.code).toBe('nameForm')
    expect(nameProblem('济南市技术有限公司', 'llc')?.code).toBe('nameTrade')
    expect(nameProblem('济南市明湖', 'llc')?.code).toBe('nameLength')
  })
})

describe('amounts and shareholders', () => {
  it('reads yuan with at most two decimals', () => {
    expect(amountFen('1000000.00')).toBe(100000000n)
    expect(amountFen('0.5')).toBe(50n)
    expect(amountFen('1.234')).toBeNull()
    expect(amountFen('01')).toBeNull()
  })

  it('wants the contributions to add up to the capital, and the right number of investors', () => {
    const h = (c: string) => ({ kind: 'person' as const, name: '张三', idNumber: '11010519491231002X', contribution: c })
    expect(shareholdersProblem('llc', '1000000', [h('600000'), h('400000.00')])).toBeNull()
    expect(shareholdersProblem('llc', '1000000', [h('600000')])).toEqual({ code: 'holdersSum', arg: '600000.00' })
    expect(shareholdersProblem('sole-llc', '2', [h('1'), h('1')])?.code).toBe('holdersSole')
    expect(shareholdersProblem('partnership', '1', [h('1')])?.code).toBe('holdersPartners')
    expect(shareholdersProblem('llc', '1', [])?.code).toBe('holdersNone')
    // An invalid amount is said at its field, not as a wrong sum.
    expect(shareholdersProblem('llc', '1000000', [h('abc')])).toBeNull()
  })
})
