import { describe, expect, it } from 'vitest'
import { decodeContent, flatten, kindOf, suggestUSCC, validUSCC } from '@/areas/workbench/documents'

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))

describe('workbench documents', () => {
  it('checks USCCs as GB 32100 does', () => {
    expect(validUSCC('91350100M000100Y43')).toBe(true)
    expect(validUSCC('91350100M000100Y44')).toBe(false)
    expect(validUSCC('91350100M000100Y4')).toBe(false)
    expect(validUSCC('9135010OM000100Y43')).toBe(false) // O is not in the alphabet
  })

  it('suggests a valid code from the process and the division', () => {
    const p = '3f2a9c0d4e5b6a7980716253443526170'
    const c = suggestUSCC(p, '370102')
    expect(c).toMatch(/^91370102/)
    expect(validUSCC(c)).toBe(true)
    expect(suggestUSCC(p, '370102')).toBe(c)
    expect(suggestUSCC('abc', 'bad')).toMatch(/^91370102/)
    expect(validUSCC(suggestUSCC('ffffffffffffffffffffffffffffffff', '370103'))).toBe(true)
  })

  it('maps every department to its document', () => {
    expect(Object.keys(kindOf)).toEqual(['market', 'seal', 'social', 'medical', 'housing-fund', 'bank', 'tax'])
    expect(kindOf.market).toBe('business-licence')
  })

  it('decodes JSON, text and binary contents', () => {
    expect(decodeContent(b64('{"name":"张三"}'))).toEqual({ text: '{"name":"张三"}', json: { name: '张三' }, bytes: 17 })
    expect(decodeContent(b64('公司章程全文')).text).toBe('公司章程全文')
    const pdf = decodeContent(btoa('%PDF-1.7\u0000\u0001\u00ff'))
    expect(pdf.text).toBeUndefined()
    expect(pdf.bytes).toBe(11)
  })

  it('flattens nested information to dotted keys', () => {
    expect(
      flatten({ enterprise: { name: '甲公司', address: { division: '370102' } }, services: ['seal', 'tax'], shareholders: [{ name: '张*' }] }),
    ).toEqual([
      { key: 'enterprise.name', value: '甲公司' },
      { key: 'enterprise.address.division', value: '370102' },
      { key: 'services', value: 'seal、tax' },
      { key: 'shareholders[1].name', value: '张*' },
    ])
  })
})
