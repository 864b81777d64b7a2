import { describe, it, expect } from 'vitest'
import { settleBookView, reportsOf } from '../../src/aggregate/settle-book-view.js'
import type { NormalizedIsbn } from '../../src/domain/isbn.js'
import type { SourceOutcome, SourceOutcomes } from '../../src/domain/outcome.js'

const DUNE: NormalizedIsbn = {
  isbn13: '9780441013593', isbn10: '0441013597', hyphenated: '978-0-441-01359-3', group: { prefix: '978-0', name: 'English language' }
}

const PUBLISHER_DATA = { isbn: DUNE.isbn13, title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02' }
const REVIEWS_DATA = { isbn: DUNE.isbn13, averageRating: 4.5, ratingsCount: 2, items: [{ author: 'a', rating: 5, text: 'great', date: '2020-01-01' }] }
const RECOMMENDATIONS_DATA = { isbn: DUNE.isbn13, items: [{ isbn: '9780441172719', title: 'Dune Messiah', authors: ['Frank Herbert'] }] }

const ok = (data: unknown, durationMs = 40): SourceOutcome => ({ status: 'ok', durationMs, data })
const notFound = (durationMs = 30): SourceOutcome => ({ status: 'not_found', durationMs })
const timeout = (name: string, ms = 1500): SourceOutcome => ({ status: 'timeout', durationMs: ms, detail: `${name} did not answer within ${ms} ms` })
const error = (httpStatus?: number): SourceOutcome =>
  httpStatus === undefined
    ? { status: 'error', durationMs: 12, detail: 'connection refused' }
    : { status: 'error', durationMs: 12, httpStatus, detail: `upstream answered ${httpStatus}` }
const skipped: SourceOutcome = { status: 'skipped', durationMs: 0 }

function outcomes(publisher: SourceOutcome, reviews: SourceOutcome, recommendations: SourceOutcome): SourceOutcomes {
  return { publisher, reviews, recommendations }
}

describe('settleBookView', () => {
  it('all ok → found, complete, sections are the data', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(ok(PUBLISHER_DATA, 41), ok(REVIEWS_DATA, 52), ok(RECOMMENDATIONS_DATA, 63)))
    expect(verdict).toBe('found')
    expect(view).toEqual({
      isbn: '9780441013593',
      isbn10: '0441013597',
      isbnHyphenated: '978-0-441-01359-3',
      registrationGroup: { prefix: '978-0', name: 'English language' },
      publisher: PUBLISHER_DATA,
      reviews: REVIEWS_DATA,
      recommendations: RECOMMENDATIONS_DATA,
      sources: {
        publisher: { status: 'ok', durationMs: 41 },
        reviews: { status: 'ok', durationMs: 52 },
        recommendations: { status: 'ok', durationMs: 63 }
      },
      complete: true
    })
  })

  it('publisher ok + reviews timeout → found, incomplete, reviews null', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(ok(PUBLISHER_DATA), timeout('reviews'), ok(RECOMMENDATIONS_DATA)))
    expect(verdict).toBe('found')
    expect(view.complete).toBe(false)
    expect(view.publisher).toEqual(PUBLISHER_DATA)
    expect(view.reviews).toBeNull()
    expect(view.recommendations).toEqual(RECOMMENDATIONS_DATA)
    expect(view.sources.reviews).toEqual({ status: 'timeout', durationMs: 1500, detail: 'reviews did not answer within 1500 ms' })
  })

  it('publisher not_found while the others are ok → not_found', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(notFound(), ok(REVIEWS_DATA), ok(RECOMMENDATIONS_DATA)))
    expect(verdict).toBe('not_found')
    expect(view.publisher).toBeNull()
    expect(view.sources.publisher.status).toBe('not_found')
  })

  it('publisher error + reviews ok → found, partial', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(error(500), ok(REVIEWS_DATA), notFound()))
    expect(verdict).toBe('found')
    expect(view.complete).toBe(false)
    expect(view.publisher).toBeNull()
    expect(view.reviews).toEqual(REVIEWS_DATA)
    expect(view.recommendations).toBeNull()
  })

  it('publisher not_found + others ok keeps complete true (not_found is an answer)', () => {
    expect(settleBookView(DUNE, outcomes(notFound(), ok(REVIEWS_DATA), ok(RECOMMENDATIONS_DATA))).view.complete).toBe(true)
  })

  it('all failed, timeout + errors → failed', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(timeout('publisher'), error(503), error()))
    expect(verdict).toBe('failed')
    expect(view.complete).toBe(false)
    expect(view.publisher).toBeNull()
    expect(view.reviews).toBeNull()
    expect(view.recommendations).toBeNull()
  })

  it.each([
    ['invalid_response', { status: 'invalid_response', durationMs: 5, detail: 'not JSON' }],
    ['circuit_open', { status: 'circuit_open', durationMs: 0 }],
    ['overloaded', { status: 'overloaded', durationMs: 0 }]
  ] as const)('a %s beside timeouts makes it failed, not timed_out', (_label, other) => {
    expect(settleBookView(DUNE, outcomes(timeout('publisher'), other, timeout('recommendations'))).verdict).toBe('failed')
  })

  it('all timeouts → timed_out', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(timeout('publisher'), timeout('reviews'), timeout('recommendations')))
    expect(verdict).toBe('timed_out')
    expect(view.complete).toBe(false)
  })

  it('failures beside a not_found decide: error + not_found + not_found → failed', () => {
    expect(settleBookView(DUNE, outcomes(error(502), notFound(), notFound())).verdict).toBe('failed')
  })

  it('include=reviews only, reviews not_found → not_found', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(skipped, notFound(), skipped))
    expect(verdict).toBe('not_found')
    expect(view.complete).toBe(true)
  })

  it('publisher skipped, reviews not_found, recommendations timeout → timed_out', () => {
    expect(settleBookView(DUNE, outcomes(skipped, notFound(), timeout('recommendations'))).verdict).toBe('timed_out')
  })

  it('publisher skipped, reviews not_found, recommendations error → failed', () => {
    expect(settleBookView(DUNE, outcomes(skipped, notFound(), error(500))).verdict).toBe('failed')
  })

  it('publisher skipped, reviews ok → found', () => {
    const { verdict, view } = settleBookView(DUNE, outcomes(skipped, ok(REVIEWS_DATA), skipped))
    expect(verdict).toBe('found')
    expect(view.publisher).toBeNull()
    expect(view.recommendations).toBeNull()
  })

  it('all included not_found (no publisher skip) → not_found', () => {
    expect(settleBookView(DUNE, outcomes(notFound(), notFound(), notFound())).verdict).toBe('not_found')
  })

  it('skipped sources do not break complete', () => {
    const { view } = settleBookView(DUNE, outcomes(ok(PUBLISHER_DATA), skipped, skipped))
    expect(view.complete).toBe(true)
    expect(view.sources.reviews).toEqual({ status: 'skipped', durationMs: 0 })
    expect(view.sources.recommendations).toEqual({ status: 'skipped', durationMs: 0 })
  })

  it('a skipped source plus a failed one is incomplete', () => {
    expect(settleBookView(DUNE, outcomes(ok(PUBLISHER_DATA), skipped, error())).view.complete).toBe(false)
  })

  it('reports carry httpStatus, cache and detail when present and never the data', () => {
    const withCache: SourceOutcome = { status: 'ok', durationMs: 3, data: PUBLISHER_DATA, cache: 'hit' }
    const { view } = settleBookView(DUNE, outcomes(withCache, error(503), timeout('recommendations', 800)))
    expect(view.sources).toEqual({
      publisher: { status: 'ok', durationMs: 3, cache: 'hit' },
      reviews: { status: 'error', durationMs: 12, httpStatus: 503, detail: 'upstream answered 503' },
      recommendations: { status: 'timeout', durationMs: 800, detail: 'recommendations did not answer within 800 ms' }
    })
    for (const report of Object.values(view.sources)) expect(report).not.toHaveProperty('data')
    expect(JSON.stringify(view.sources)).not.toContain('Frank Herbert')
  })

  it('reports omit optional keys that are absent (no undefined-valued keys)', () => {
    const { view } = settleBookView(DUNE, outcomes(ok(PUBLISHER_DATA), error(), notFound()))
    expect(Object.keys(view.sources.publisher).sort()).toEqual(['durationMs', 'status'])
    expect(Object.keys(view.sources.reviews).sort()).toEqual(['detail', 'durationMs', 'status'])
    expect(Object.keys(view.sources.recommendations).sort()).toEqual(['durationMs', 'status'])
  })

  it('reportsOf gives the same reports as the view', () => {
    const o = outcomes(ok(PUBLISHER_DATA), error(404), skipped)
    expect(reportsOf(o)).toEqual(settleBookView(DUNE, o).view.sources)
  })

  it('an ok outcome without data yields a null section', () => {
    const { view } = settleBookView(DUNE, outcomes({ status: 'ok', durationMs: 1 }, ok(REVIEWS_DATA), ok(RECOMMENDATIONS_DATA)))
    expect(view.publisher).toBeNull()
  })

  it('data on a non-ok outcome is not shown as a section', () => {
    const stray: SourceOutcome = { status: 'error', durationMs: 1, data: REVIEWS_DATA, detail: 'x' }
    expect(settleBookView(DUNE, outcomes(ok(PUBLISHER_DATA), stray, ok(RECOMMENDATIONS_DATA))).view.reviews).toBeNull()
  })

  it('passes isbn10 null through for a 979 ISBN', () => {
    const isbn: NormalizedIsbn = { isbn13: '9791090636071', isbn10: null }
    const { view } = settleBookView(isbn, outcomes(ok(PUBLISHER_DATA), ok(REVIEWS_DATA), ok(RECOMMENDATIONS_DATA)))
    expect(view.isbn).toBe('9791090636071')
    expect(view.isbn10).toBeNull()
    expect(view.isbnHyphenated).toBeNull()
    expect(view.registrationGroup).toBeNull()
    expect(view).toHaveProperty('isbn10', null)
  })
})
