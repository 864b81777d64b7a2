import { describe, expect, it } from 'vitest'
import { toIso6391 } from '../../../src/upstream/providers/language-codes.js'

describe('toIso6391', () => {
  it.each<[string, string]>([
    ['/languages/eng', 'en'], // Open Library's key form
    ['eng', 'en'],
    ['ENG', 'en'],
    ['fre', 'fr'], ['fra', 'fr'], // MARC (bibliographic) and ISO 639-2/T (terminologic)
    ['ger', 'de'], ['deu', 'de'],
    ['chi', 'zh'], ['zho', 'zh'],
    ['dut', 'nl'], ['nld', 'nl'],
    ['spa', 'es'], ['jpn', 'ja'], ['rus', 'ru'], ['wel', 'cy'], ['cym', 'cy'],
    ['scr', 'hr'], // obsolete MARC code on older records
    ['en', 'en'], ['en-GB', 'en'], ['zh_CN', 'zh'], ['lb', 'lb']
  ])('%j → %j', (code, iso) => {
    expect(toIso6391(code)).toBe(iso)
  })

  it.each(['', 'und', 'mul', 'xxx', '/languages/', 'english', 'e'])('drops %j', (code) => {
    expect(toIso6391(code)).toBeUndefined()
  })
})
