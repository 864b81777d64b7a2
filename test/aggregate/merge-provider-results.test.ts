import { describe, expect, it } from 'vitest'
import { isDecided, mergeProviderResults } from '../../src/aggregate/merge-provider-results.js'

const publisher = (fields: Record<string, unknown>) => ({ status: 'ok' as const, data: { title: 'T', authors: ['A'], publisher: 'P', publishedDate: '1988', ...fields } })

describe('mergeProviderResults', () => {
  it('keeps the first ok provider’s answer and fills only the fields it lacks, in list order', () => {
    const merged = mergeProviderResults('publisher', [
      { provider: 'hardcover', result: { status: 'not_found', detail: 'no edition' } },
      { provider: 'googlebooks', result: { ...publisher({ title: 'Google title', description: '' }), json: '{"title":"Google title"}', freshForMs: 5000 } },
      { provider: 'openlibrary', result: { ...publisher({ title: 'OL title', description: 'From OL', language: 'en' }), freshForMs: 1000 } },
      { provider: 'native', result: { ...publisher({ description: 'From native', coverUrl: 'https://c' }), freshForMs: 9000 } }
    ])
    expect(merged).toEqual({
      status: 'ok',
      data: { title: 'Google title', authors: ['A'], publisher: 'P', publishedDate: '1988', description: 'From OL', language: 'en', coverUrl: 'https://c' },
      provider: 'googlebooks',
      filledFrom: { language: 'openlibrary', description: 'openlibrary', coverUrl: 'native' },
      // As fresh as the shortest-lived part it is made of; the cached text was of Google's section alone.
      freshForMs: 1000
    })
  })

  it('fills review texts from a provider that has them, never the ratings', () => {
    const merged = mergeProviderResults('reviews', [
      { provider: 'openlibrary', result: { status: 'ok', data: { averageRating: 4.1, ratingsCount: 212, items: [], textsAvailable: false } } },
      { provider: 'hardcover', result: { status: 'ok', data: { averageRating: 4.6, ratingsCount: 9, items: [{ author: 'a', rating: 5, text: 't', date: '2024-01-01' }] } } }
    ])
    expect(merged).toMatchObject({ provider: 'openlibrary', filledFrom: { items: 'hardcover' }, data: { averageRating: 4.1, ratingsCount: 212 } })
    // Open Library's "no texts here" no longer describes a section that has texts.
    expect(merged.status === 'ok' && (merged.data as Record<string, unknown>).textsAvailable).toBeUndefined()
  })

  it('ignores answers that came too late, and reports the best status with every reason when none is ok', () => {
    expect(mergeProviderResults('publisher', [
      { provider: 'googlebooks', result: { status: 'rate_limited', detail: 'quota' } },
      { provider: 'openlibrary', result: { status: 'error', detail: 'late' }, late: true },
      { provider: 'hardcover', result: { status: 'error', httpStatus: 401, detail: 'token refused' } }
    ])).toEqual({
      status: 'rate_limited',
      provider: 'googlebooks',
      detail: 'googlebooks: quota; openlibrary: did not answer in time; hardcover: token refused'
    })
    expect(mergeProviderResults('publisher', [
      { provider: 'googlebooks', result: { status: 'error', detail: 'late' }, late: true },
      { provider: 'openlibrary', result: { status: 'error', detail: 'late' }, late: true }
    ])).toMatchObject({ status: 'timeout', provider: 'googlebooks' })
  })

  it('passes a single provider’s result through with its name', () => {
    expect(mergeProviderResults('reviews', [{ provider: 'openlibrary', result: { status: 'not_found', detail: 'none' } }]))
      .toEqual({ status: 'not_found', detail: 'none', provider: 'openlibrary' })
  })
})

describe('isDecided', () => {
  const complete = { status: 'ok' as const, data: { title: 'T', authors: ['A'], publisher: 'P', publishedDate: '1988', subtitle: 's', pageCount: 1, language: 'en', description: 'd', coverUrl: 'https://c' } }
  it('is decided once the first ok provider in list order lacks nothing and everyone before it has settled', () => {
    expect(isDecided('publisher', [{ provider: 'openlibrary', result: complete }, undefined])).toBe(true)
    expect(isDecided('publisher', [undefined, { provider: 'openlibrary', result: complete }])).toBe(false)
    expect(isDecided('publisher', [{ provider: 'hardcover', result: { status: 'not_found' } }, { provider: 'openlibrary', result: complete }, undefined])).toBe(true)
    expect(isDecided('publisher', [{ provider: 'openlibrary', result: { status: 'ok', data: { ...complete.data, description: '' } } }, undefined])).toBe(false)
    expect(isDecided('recommendations', [{ provider: 'openlibrary', result: { status: 'ok', data: { items: [] } } }, undefined])).toBe(true)
  })
})
