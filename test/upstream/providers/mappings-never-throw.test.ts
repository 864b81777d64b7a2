import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mapGooglePublisher, mapGoogleReviews } from '../../../src/upstream/providers/googlebooks-mapping.js'
import { mapHardcoverBook, mapHardcoverPublisher, mapHardcoverReviews } from '../../../src/upstream/providers/hardcover-mapping.js'
import { mapHardcoverRecommendations, mapHardcoverSearch } from '../../../src/upstream/providers/hardcover-search-mapping.js'
import { mapOpenLibraryBooksApiEntry, mapOpenLibrarySearch, mapOpenLibrarySubjectRecommendations } from '../../../src/upstream/providers/openlibrary-lists.js'
import { mapOpenLibraryPublisher, mapOpenLibraryRatings, openLibraryAuthorKeys, openLibraryWorkKey } from '../../../src/upstream/providers/openlibrary-mapping.js'

const ISBN = '9780140328721'
const BOOK = { id: 1, rating: 4, ratingsCount: 2, authors: ['A'] }

// Any JSON, and any JSON inside the envelopes the mappings look into, so the fuzzing reaches
// past the first shape check.
const anyJson = fc.jsonValue({ maxDepth: 4 })
const body = fc.oneof(
  anyJson,
  fc.record({ data: fc.oneof(anyJson, fc.dictionary(fc.constantFrom('editions', 'user_books', 'search'), fc.oneof(anyJson, fc.array(anyJson)))) }, { requiredKeys: [] }),
  fc.record({ totalItems: anyJson, items: fc.array(fc.record({ volumeInfo: anyJson }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  fc.record({ summary: anyJson, works: fc.array(anyJson), docs: fc.array(anyJson), errors: anyJson }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom(`ISBN:${ISBN}`, 'title', 'publishers', 'covers', 'authors', 'works', 'languages'), anyJson)
)

const MAPPINGS: Record<string, (input: unknown) => { status: string }> = {
  mapOpenLibraryPublisher: (input) => mapOpenLibraryPublisher({ edition: input, work: input, authorNames: ['x'] }),
  mapOpenLibraryRatings,
  mapOpenLibrarySubjectRecommendations: (input) => mapOpenLibrarySubjectRecommendations(input, { limit: 3 }),
  mapOpenLibrarySearch,
  mapOpenLibraryBooksApiEntry: (input) => mapOpenLibraryBooksApiEntry(input, ISBN),
  mapGooglePublisher: (input) => mapGooglePublisher(input, ISBN),
  mapGoogleReviews: (input) => mapGoogleReviews(input, ISBN),
  mapHardcoverPublisher: (input) => mapHardcoverPublisher(input, ISBN),
  mapHardcoverBook: (input) => mapHardcoverBook(input, ISBN),
  mapHardcoverReviews: (input) => mapHardcoverReviews(BOOK, input),
  mapHardcoverSearch,
  mapHardcoverRecommendations: (input) => mapHardcoverRecommendations(input, BOOK)
}

describe('provider mappings on arbitrary bodies', () => {
  it.each(Object.entries(MAPPINGS))('%s never throws and answers one of its statuses', (_name, map) => {
    fc.assert(fc.property(body, (input) => {
      expect(['ok', 'not_found', 'invalid_response']).toContain(map(input).status)
    }), { numRuns: 300 })
  })

  it('the key readers never throw either', () => {
    fc.assert(fc.property(body, body, (edition, work) => {
      expect(Array.isArray(openLibraryAuthorKeys(edition, work))).toBe(true)
      expect(['string', 'undefined']).toContain(typeof openLibraryWorkKey(edition))
    }), { numRuns: 300 })
  })
})
