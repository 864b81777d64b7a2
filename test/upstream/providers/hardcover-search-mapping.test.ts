import { describe, expect, it } from 'vitest'
import type { HardcoverBook } from '../../../src/upstream/providers/hardcover-mapping.js'
import { hardcoverRecommendationSearchTerm, mapHardcoverRecommendations, mapHardcoverSearch } from '../../../src/upstream/providers/hardcover-search-mapping.js'
import { fixture, recorded } from '../../helpers/provider-samples.js'

// The recorded explorer output holds only `data`; on the wire it is wrapped.
const lordOfTheRings = { data: recorded('hardcover/graphql-search-book-lord-of-the-rings.json') }
const TOLKIEN_LOTR: HardcoverBook = { id: 377938, slug: 'the-lord-of-the-rings', rating: 4.55, ratingsCount: 1193, authors: ['J.R.R. Tolkien'] }

describe('Hardcover search → search results', () => {
  it('maps the recorded hits, ISBN-10s turned into ISBN-13', () => {
    const result = mapHardcoverSearch(lordOfTheRings)
    expect(result.status).toBe('ok')
    if (result.status !== 'ok') return
    expect(result.data.results).toHaveLength(5)
    expect(result.data.results[0]).toEqual({
      isbn: '9780813138015',
      key: 'hardcover:book:510077',
      url: 'https://hardcover.app/books/lord-of-the-rings-2010',
      title: 'Lord of the Rings',
      authors: ['Jane Chance'],
      publishedDate: '2010-09-12'
    })
  })

  it('is invalid_response for errors or a body without hits', () => {
    expect(mapHardcoverSearch(fixture('hardcover/graphql-errors.json')).status).toBe('invalid_response')
    expect(mapHardcoverSearch({ data: { search: { results: {} } } }).status).toBe('invalid_response')
    expect(mapHardcoverSearch({ data: { search: { results: { hits: [{ document: { id: 'x' } }, null] } } } })).toEqual({ status: 'ok', data: { results: [] } })
  })
})

describe('Hardcover search → recommendations', () => {
  it('searches for the first author', () => {
    expect(hardcoverRecommendationSearchTerm(TOLKIEN_LOTR)).toBe('J.R.R. Tolkien')
    expect(hardcoverRecommendationSearchTerm({ id: 1, ratingsCount: 0, authors: [] })).toBeUndefined()
  })

  it('keeps the other books by the same author, without the book itself or loose matches', () => {
    expect(mapHardcoverRecommendations(lordOfTheRings, TOLKIEN_LOTR)).toEqual({
      status: 'ok',
      data: {
        items: [{
          isbn: '9780345320568',
          key: 'hardcover:book:346073',
          url: 'https://hardcover.app/books/the-hobbit-the-lord-of-the-rings',
          title: 'The Hobbit & The Lord of the Rings',
          authors: ['J.R.R. Tolkien', 'Alan Lee']
        }]
      }
    })
  })

  it('is not_found when no other book by the author was found', () => {
    expect(mapHardcoverRecommendations(lordOfTheRings, { ...TOLKIEN_LOTR, authors: ['Nobody'] }))
      .toEqual({ status: 'not_found', detail: 'Hardcover found no other books by the author of book 377938' })
  })
})
