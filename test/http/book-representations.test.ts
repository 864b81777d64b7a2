import { describe, expect, it } from 'vitest'
import { BookRepresentations } from '../../src/http/book-representations.js'
import type { SourceReports } from '../../src/domain/book-view.js'
import type { SourceOutcome, SourceOutcomes } from '../../src/domain/outcome.js'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'

const ISBN = '9780441013593'
const ALL: ReadonlySet<SourceName> = new Set(SOURCE_NAMES)
const NOW = 1_800_000_000_000
const hit = (freshForMs: number): SourceOutcome => ({ status: 'ok', durationMs: 0, cache: 'hit', freshForMs })
const outcomes = (overrides: Partial<SourceOutcomes> = {}): SourceOutcomes =>
  ({ publisher: hit(60_000), reviews: hit(5_000), recommendations: hit(30_000), ...overrides })
const answer = { body: '{"isbn":"9780441013593"}', etag: '"abc"', serverTiming: 'total;dur=0', reports: {} as SourceReports }

describe('BookRepresentations', () => {
  it('keeps an answer of fresh hits until its shortest-lived section expires', () => {
    const reps = new BookRepresentations(1_000_000)
    reps.offer(ISBN, ALL, outcomes(), answer, NOW)
    expect(reps.get(ISBN, ALL, NOW + 4_999)).toEqual({ ...answer, freshUntil: NOW + 5_000 })
    expect(reps.get(ISBN, ALL, NOW + 5_000)).toBeUndefined()
    expect(reps.size).toBe(0) // an expired answer is dropped, not kept around
  })

  it.each([
    ['a miss', { reviews: { status: 'ok', durationMs: 20, cache: 'miss', freshForMs: 300_000 } }],
    ['a stale section', { reviews: { status: 'ok', durationMs: 0, cache: 'stale', freshForMs: 0 } }],
    ['a failed section', { reviews: { status: 'error', durationMs: 3, cache: 'miss', detail: 'reviews answered HTTP 500' } }],
    ['no cache at all', { reviews: { status: 'ok', durationMs: 20 } }],
    ['a section fresh for 0 ms', { reviews: hit(0) }]
  ] as Array<[string, Partial<SourceOutcomes>]>)('does not keep an answer with %s', (_name, override) => {
    const reps = new BookRepresentations(1_000_000)
    reps.offer(ISBN, ALL, outcomes(override), answer, NOW)
    expect(reps.get(ISBN, ALL, NOW)).toBeUndefined()
  })

  it('keys answers by the included sections, and ignores the sections left out', () => {
    const reps = new BookRepresentations(1_000_000)
    const publisherOnly: ReadonlySet<SourceName> = new Set(['publisher'])
    const skipped: SourceOutcome = { status: 'skipped', durationMs: 0 }
    reps.offer(ISBN, publisherOnly, outcomes({ reviews: skipped, recommendations: skipped }), answer, NOW)
    expect(reps.get(ISBN, publisherOnly, NOW + 59_000)).toBeDefined()
    expect(reps.get(ISBN, ALL, NOW)).toBeUndefined()
    expect(reps.get('9780441172719', publisherOnly, NOW)).toBeUndefined()
  })

  it('reports a cache hit for each included section it serves', () => {
    const hits: SourceName[] = []
    const reps = new BookRepresentations(1_000_000, (source) => hits.push(source))
    const two: ReadonlySet<SourceName> = new Set(['publisher', 'recommendations'])
    reps.offer(ISBN, two, outcomes({ reviews: { status: 'skipped', durationMs: 0 } }), answer, NOW)
    reps.get(ISBN, two, NOW)
    expect(hits).toEqual(['publisher', 'recommendations'])
  })

  it('stays within its byte bound, dropping the least recently used answers', () => {
    const reps = new BookRepresentations(10_000)
    const big = { ...answer, body: 'x'.repeat(3_000) }
    for (let i = 0; i < 5; i++) reps.offer(`978044101359${i}`, ALL, outcomes(), big, NOW)
    expect(reps.size).toBeLessThan(5)
    expect(reps.get('9780441013594', ALL, NOW)).toBeDefined()
    expect(reps.get('9780441013590', ALL, NOW)).toBeUndefined()
  })
})
