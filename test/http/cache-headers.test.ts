import { describe, it, expect } from 'vitest'
import { settleBookView } from '../../src/aggregate/settle-book-view.js'
import type { BookView } from '../../src/domain/book-view.js'
import type { SourceOutcome, SourceOutcomes, SourceStatus } from '../../src/domain/outcome.js'
import { cacheHeadersFor, matchesIfNoneMatch } from '../../src/http/cache-headers.js'

const ISBN = { isbn13: '9780441013593', isbn10: '0441013597' }

const PUBLISHER = { title: 'Dune', publisher: 'Ace' }
const REVIEWS = { averageRating: 4.2, reviews: [{ author: 'a', text: 'classic' }] }
const RECOMMENDATIONS = { isbns: ['9780441172719'] }

function ok(data: unknown, extra: Partial<SourceOutcome> = {}): SourceOutcome {
  return { status: 'ok', durationMs: 12, data, cache: 'hit', freshForMs: 60_000, ...extra }
}

const fresh = (overrides: Partial<Record<keyof SourceOutcomes, SourceOutcome>> = {}): SourceOutcomes => ({
  publisher: ok(PUBLISHER),
  reviews: ok(REVIEWS),
  recommendations: ok(RECOMMENDATIONS),
  ...overrides
})

const SKIPPED: SourceOutcome = { status: 'skipped', durationMs: 0 }

/** The headers of the view the route would build from these outcomes. */
function headersOf(outcomes: SourceOutcomes): { etag: string; cacheControl: string; view: BookView } {
  const { view } = settleBookView(ISBN, outcomes)
  return { ...cacheHeadersFor(view, outcomes), view }
}

describe('cacheHeadersFor: ETag', () => {
  it('is a quoted strong entity tag', () => {
    const { etag } = headersOf(fresh())
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    expect(etag.startsWith('W/')).toBe(false)
  })

  it('is stable for the same data', () => {
    expect(headersOf(fresh()).etag).toBe(headersOf(fresh()).etag)
  })

  it('ignores timings and cache marks, which change on every request', () => {
    const first = headersOf(fresh())
    const second = headersOf(fresh({
      publisher: ok(PUBLISHER, { durationMs: 250, cache: 'miss', freshForMs: 3_600_000 }),
      reviews: ok(REVIEWS, { durationMs: 3, cache: 'stale', freshForMs: 0, retried: true }),
      recommendations: ok(RECOMMENDATIONS, { durationMs: 99, coalesced: true })
    }))
    expect(second.view.sources.publisher.durationMs).not.toBe(first.view.sources.publisher.durationMs)
    expect(second.etag).toBe(first.etag)
  })

  it('changes when the data of any section changes', () => {
    const base = headersOf(fresh()).etag
    const tags = [
      headersOf(fresh({ publisher: ok({ ...PUBLISHER, title: 'Dune Messiah' }) })).etag,
      headersOf(fresh({ reviews: ok({ ...REVIEWS, averageRating: 4.3 }) })).etag,
      headersOf(fresh({ recommendations: ok({ isbns: [] }) })).etag
    ]
    for (const tag of tags) expect(tag).not.toBe(base)
    expect(new Set(tags).size).toBe(3)
  })

  it('changes with the ISBN', () => {
    const outcomes = fresh()
    const other = settleBookView({ isbn13: '9780765326355', isbn10: '0765326353' }, outcomes).view
    expect(cacheHeadersFor(other, outcomes).etag).not.toBe(headersOf(outcomes).etag)
  })

  it('changes with a source\'s status even when its section is null either way', () => {
    const notFound = headersOf(fresh({ reviews: { status: 'not_found', durationMs: 5, freshForMs: 5_000 } }))
    const skipped = headersOf(fresh({ reviews: SKIPPED }))
    const failed = headersOf(fresh({ reviews: { status: 'error', durationMs: 5, detail: 'boom' } }))
    expect(notFound.view.reviews).toBeNull()
    expect(skipped.view.reviews).toBeNull()
    expect(new Set([notFound.etag, skipped.etag, failed.etag]).size).toBe(3)
  })
})

describe('cacheHeadersFor: Cache-Control', () => {
  it('lets a complete answer be cached for as long as its shortest-lived section stays fresh', () => {
    const { cacheControl } = headersOf(fresh({
      publisher: ok(PUBLISHER, { freshForMs: 3_600_000 }),
      reviews: ok(REVIEWS, { freshForMs: 30_999 }),
      recommendations: ok(RECOMMENDATIONS, { freshForMs: 120_000 })
    }))
    expect(cacheControl).toBe('public, max-age=30')
  })

  it('rounds max-age down to whole seconds', () => {
    expect(headersOf(fresh({ reviews: ok(REVIEWS, { freshForMs: 999 }) })).cacheControl).toBe('public, max-age=0')
    expect(headersOf(fresh({ reviews: ok(REVIEWS, { freshForMs: 1_000 }) })).cacheControl).toBe('public, max-age=1')
  })

  it('counts a cached not_found section by its own freshness', () => {
    const { cacheControl } = headersOf(fresh({ recommendations: { status: 'not_found', durationMs: 1, cache: 'hit', freshForMs: 5_000 } }))
    expect(cacheControl).toBe('public, max-age=5')
  })

  it('gives a stale section (freshForMs 0) max-age=0', () => {
    expect(headersOf(fresh({ reviews: ok(REVIEWS, { cache: 'stale', freshForMs: 0 }) })).cacheControl).toBe('public, max-age=0')
  })

  it.each<SourceStatus>(['timeout', 'error', 'invalid_response', 'circuit_open', 'overloaded'])(
    'forbids storing a partial answer where a source ended in %s',
    (status) => {
      const failed: SourceOutcome = { status, durationMs: 800, detail: 'it failed' }
      const { cacheControl, view } = headersOf(fresh({ recommendations: failed }))
      expect(view.complete).toBe(false)
      expect(cacheControl).toBe('no-store')
    }
  )

  it('prefers no-store over no-cache when a failure sits beside an uncached section', () => {
    const { cacheControl } = headersOf(fresh({
      publisher: ok(PUBLISHER, { cache: undefined, freshForMs: undefined }),
      reviews: { status: 'timeout', durationMs: 800, detail: 'reviews did not answer within 800 ms' }
    }))
    expect(cacheControl).toBe('no-store')
  })

  it('asks clients to revalidate (no-cache) when a section has no freshness', () => {
    const uncached: SourceOutcome = { status: 'ok', durationMs: 40, data: REVIEWS }
    expect(headersOf(fresh({ reviews: uncached })).cacheControl).toBe('no-cache')
    const uncachedNotFound: SourceOutcome = { status: 'not_found', durationMs: 40 }
    expect(headersOf(fresh({ reviews: uncachedNotFound })).cacheControl).toBe('no-cache')
  })

  it('ignores skipped sources', () => {
    const { cacheControl } = headersOf(fresh({
      publisher: ok(PUBLISHER, { freshForMs: 90_000 }),
      reviews: SKIPPED,
      recommendations: SKIPPED
    }))
    expect(cacheControl).toBe('public, max-age=90')
    // A skipped source's absent freshness does not turn the answer into no-cache.
    expect(headersOf(fresh({ reviews: SKIPPED })).cacheControl).toBe('public, max-age=60')
  })
})

describe('matchesIfNoneMatch', () => {
  const etag = '"abc123"'

  it('matches the exact tag', () => {
    expect(matchesIfNoneMatch('"abc123"', etag)).toBe(true)
  })

  it('matches any tag of a comma-separated list, whatever the spacing', () => {
    expect(matchesIfNoneMatch('"zzz", "abc123"', etag)).toBe(true)
    expect(matchesIfNoneMatch('"zzz","abc123" ,"yyy"', etag)).toBe(true)
    expect(matchesIfNoneMatch('  "abc123"  ', etag)).toBe(true)
  })

  it('compares weakly: a W/ prefix on either side does not matter', () => {
    expect(matchesIfNoneMatch('W/"abc123"', etag)).toBe(true)
    expect(matchesIfNoneMatch('"zzz", W/"abc123"', etag)).toBe(true)
    expect(matchesIfNoneMatch('"abc123"', 'W/"abc123"')).toBe(true)
  })

  it('matches * alone, with or without spaces', () => {
    expect(matchesIfNoneMatch('*', etag)).toBe(true)
    expect(matchesIfNoneMatch(' * ', etag)).toBe(true)
  })

  it('does not match other tags, prefixes, unquoted values or an empty header', () => {
    expect(matchesIfNoneMatch('"zzz"', etag)).toBe(false)
    expect(matchesIfNoneMatch('"abc"', etag)).toBe(false)
    expect(matchesIfNoneMatch('"abc1234"', etag)).toBe(false)
    expect(matchesIfNoneMatch('abc123', etag)).toBe(false)
    expect(matchesIfNoneMatch('"zzz", "yyy"', etag)).toBe(false)
    expect(matchesIfNoneMatch('', etag)).toBe(false)
  })

  it('does not match when the header is absent', () => {
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false)
  })

  it('matches the ETag that cacheHeadersFor produced', () => {
    const { etag: real } = headersOf(fresh())
    expect(matchesIfNoneMatch(real, real)).toBe(true)
    expect(matchesIfNoneMatch(`W/${real}`, real)).toBe(true)
    expect(matchesIfNoneMatch(headersOf(fresh({ reviews: ok({ averageRating: 1 }) })).etag, real)).toBe(false)
  })
})
