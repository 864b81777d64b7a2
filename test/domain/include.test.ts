import { describe, it, expect } from 'vitest'
import { parseInclude, type IncludeResult } from '../../src/domain/include.js'

function namesOf(result: IncludeResult): string[] {
  if (!result.ok) throw new Error(`expected ok, got reason: ${result.reason}`)
  return [...result.value].sort()
}

function reasonOf(result: IncludeResult): string {
  if (result.ok) throw new Error(`expected a rejection, got ${[...result.value].join(',')}`)
  return result.reason
}

const ALLOWED = /publisher, reviews, recommendations/

describe('parseInclude', () => {
  it('gives all three sources when include is absent', () => {
    expect(namesOf(parseInclude(undefined))).toEqual(['publisher', 'recommendations', 'reviews'])
  })

  it.each(['publisher', 'reviews', 'recommendations'])('accepts a single source %s', (name) => {
    expect(namesOf(parseInclude(name))).toEqual([name])
  })

  it('accepts several comma-separated sources', () => {
    expect(namesOf(parseInclude('publisher,reviews'))).toEqual(['publisher', 'reviews'])
    expect(namesOf(parseInclude('recommendations,publisher,reviews'))).toEqual(['publisher', 'recommendations', 'reviews'])
  })

  it('accepts the repeated-parameter array form', () => {
    expect(namesOf(parseInclude(['publisher', 'recommendations']))).toEqual(['publisher', 'recommendations'])
  })

  it('accepts an array whose items are themselves comma lists', () => {
    expect(namesOf(parseInclude(['publisher,reviews', 'recommendations']))).toEqual(['publisher', 'recommendations', 'reviews'])
  })

  it('trims whitespace around names', () => {
    expect(namesOf(parseInclude(' publisher , reviews\t'))).toEqual(['publisher', 'reviews'])
    expect(namesOf(parseInclude(['  recommendations  ']))).toEqual(['recommendations'])
  })

  it('collapses duplicates', () => {
    const result = parseInclude('reviews,reviews, reviews')
    expect(namesOf(result)).toEqual(['reviews'])
    expect(result.ok && result.value.size).toBe(1)
    expect(namesOf(parseInclude(['publisher', 'publisher,publisher']))).toEqual(['publisher'])
  })

  it('rejects an empty string, naming the allowed values', () => {
    expect(reasonOf(parseInclude(''))).toMatch(ALLOWED)
  })

  it('rejects a whitespace-only value', () => {
    expect(reasonOf(parseInclude('  '))).toMatch(ALLOWED)
  })

  it('rejects an empty array', () => {
    expect(reasonOf(parseInclude([]))).toMatch(ALLOWED)
  })

  it('rejects a trailing comma', () => {
    expect(reasonOf(parseInclude('publisher,'))).toMatch(ALLOWED)
  })

  it('rejects a leading or doubled comma', () => {
    expect(reasonOf(parseInclude(',publisher'))).toMatch(ALLOWED)
    expect(reasonOf(parseInclude('publisher,,reviews'))).toMatch(ALLOWED)
  })

  it('rejects an unknown name, naming the allowed values and the unknown one', () => {
    const reason = reasonOf(parseInclude('publisher,ratings'))
    expect(reason).toMatch(ALLOWED)
    expect(reason).toContain('"ratings"')
  })

  it('is case-sensitive', () => {
    expect(reasonOf(parseInclude('Publisher'))).toContain('"Publisher"')
  })

  it('rejects an unknown name in the array form', () => {
    expect(reasonOf(parseInclude(['reviews', 'authors']))).toContain('"authors"')
  })

  it('shows at most three unknown names, each cut to 40 characters', () => {
    const long = 'x'.repeat(100)
    const reason = reasonOf(parseInclude(`${long},b,c,d`))
    expect(reason).toContain(`"${'x'.repeat(40)}", "b", "c"`)
    expect(reason).not.toContain('x'.repeat(41))
    expect(reason).not.toContain('"d"')
  })
})
