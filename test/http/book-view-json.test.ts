import { describe, expect, it } from 'vitest'
import { settleBookView } from '../../src/aggregate/settle-book-view.js'
import { normalizeIsbn } from '../../src/domain/isbn.js'
import type { SourceOutcome, SourceOutcomes } from '../../src/domain/outcome.js'
import { bookViewJson, sectionTexts } from '../../src/http/book-view-json.js'

function isbnOf(raw: string) {
  const isbn = normalizeIsbn(raw)
  if (!isbn.ok) throw new Error(`bad test ISBN ${raw}`)
  return isbn.value
}

/** An ok outcome as the cache hands it on: with its data serialized (or not, `serialized: false`). */
function ok(data: unknown, serialized = true): SourceOutcome {
  return { status: 'ok', durationMs: 3, cache: 'miss', data, ...(serialized ? { json: JSON.stringify(data) } : {}) }
}

const publisher = { title: 'Dune — “Deluxe”', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005', pageCount: 896 }
const reviews = { averageRating: 4.5, ratingsCount: 2, items: [{ author: 'a\u2028b', rating: 5, text: 'line\nbreak "quoted"', date: '2024-01-01' }] }
const recommendations = { items: [{ isbn: '9780441172719', title: 'Dune Messiah', authors: ['Frank Herbert'], score: 0.9 }] }

describe('bookViewJson', () => {
  const cases: Array<[string, string, SourceOutcomes]> = [
    ['every section serialized by the cache', '9780441013593', { publisher: ok(publisher), reviews: ok(reviews), recommendations: ok(recommendations) }],
    ['sections without their text (no cache)', '9780441013593', { publisher: ok(publisher, false), reviews: ok(reviews, false), recommendations: ok(recommendations) }],
    ['failed, skipped and not_found sections beside an ok one, no ISBN-10', '9791090636071', {
      publisher: ok(publisher),
      reviews: { status: 'timeout', durationMs: 1500, detail: 'reviews did not answer within 1500 ms' },
      recommendations: { status: 'skipped', durationMs: 0 }
    }],
    ['not_found beside ok', '9780441013593', { publisher: ok(publisher), reviews: { status: 'not_found', durationMs: 2, cache: 'hit' }, recommendations: ok(recommendations) }]
  ]

  it.each(cases)('is JSON.stringify(view) byte for byte: %s', (_name, raw, outcomes) => {
    const { view } = settleBookView(isbnOf(raw), outcomes)
    expect(bookViewJson(view, sectionTexts(view, outcomes))).toBe(JSON.stringify(view))
  })

  it('uses the spliced text rather than serializing the section again', () => {
    const outcomes: SourceOutcomes = { publisher: { ...ok(publisher), json: '{"spliced":true}' }, reviews: ok(reviews), recommendations: ok(recommendations) }
    const { view } = settleBookView(isbnOf('9780441013593'), outcomes)
    expect(JSON.parse(bookViewJson(view, sectionTexts(view, outcomes))).publisher).toEqual({ spliced: true })
  })
})
