import { describe, expect, it } from 'vitest'
import {
  mapOpenLibraryPublisher, mapOpenLibraryRatings, openLibraryAuthorKeys, openLibraryAuthorName, openLibraryWorkKey
} from '../../../src/upstream/providers/openlibrary-mapping.js'
import { fixture, recorded } from '../../helpers/provider-samples.js'

const edition = recorded('openlibrary/edition-OL7353617M.json')
const work = recorded('openlibrary/work-OL45804W.json')

describe('Open Library edition → publisher section', () => {
  it('maps the recorded Fantastic Mr. Fox edition with its work and resolved author', () => {
    const authorNames = openLibraryAuthorKeys(edition).map(() => openLibraryAuthorName(recorded('openlibrary/author-OL34184A.json')) ?? '')
    const result = mapOpenLibraryPublisher({ edition, work, authorNames })
    expect(result).toEqual({
      status: 'ok',
      data: {
        title: 'Fantastic Mr. Fox',
        authors: ['Roald Dahl'],
        publisher: 'Puffin',
        publishedDate: 'October 1, 1988',
        publishedDateIso: '1988-10-01',
        pageCount: 96,
        language: 'en',
        // The edition has none: it comes from the work.
        description: expect.stringMatching(/^The main character of Fantastic Mr\. Fox is an extremely clever/),
        coverUrl: 'https://covers.openlibrary.org/b/id/8739161-L.jpg'
      }
    })
  })

  it('names the keys to resolve and the work to fetch', () => {
    expect(openLibraryAuthorKeys(edition)).toEqual(['/authors/OL34184A'])
    expect(openLibraryWorkKey(edition)).toBe('/works/OL45804W')
    // An edition without authors falls back to the work's `authors[].author.key`.
    expect(openLibraryAuthorKeys({}, work)).toEqual(['/authors/OL34184A'])
    expect(openLibraryAuthorKeys({ authors: [{ key: '/authors/OL1A' }, { key: '/authors/OL1A' }, { key: 42 }, 'x'] })).toEqual(['/authors/OL1A'])
    expect(openLibraryWorkKey({ works: [{ key: '/books/OL1M' }, { key: '/works/OL2W' }] })).toBe('/works/OL2W')
    expect(openLibraryWorkKey('nonsense')).toBeUndefined()
  })

  it('has no authors, rather than author keys, when names were not resolved', () => {
    const result = mapOpenLibraryPublisher({ edition })
    expect(result.status === 'ok' && result.data.authors).toEqual([])
    expect(result.status === 'ok' && result.data.description).toBeUndefined()
  })

  it('handles object descriptions, -1 covers, title prefixes, MARC French and malformed fields', () => {
    const result = mapOpenLibraryPublisher({
      edition: fixture('openlibrary/edition-edge-cases.json'),
      work: fixture('openlibrary/work-object-description.json'),
      authorNames: ['Alain Damasio']
    })
    expect(result).toEqual({
      status: 'ok',
      data: {
        title: 'La Horde du Contrevent',
        authors: ['Alain Damasio'],
        publisher: 'Gallimard', // the malformed first entry (42) is skipped
        publishedDate: 'Oct 2015',
        publishedDateIso: '2015-10',
        language: 'fr',
        description: "Un roman d'aventure.\nSecond paragraphe.", // the edition's own, before the work's
        coverUrl: 'https://covers.openlibrary.org/b/id/7891413-L.jpg' // -1 skipped; pageCount 0 dropped
      }
    })
  })

  it('falls back to the work covers, skipping its -1', () => {
    const result = mapOpenLibraryPublisher({ edition: { title: 'T', publishers: ['P'], publish_date: '1970', covers: [-1] }, work })
    expect(result.status === 'ok' && result.data.coverUrl).toBe('https://covers.openlibrary.org/b/id/6498519-L.jpg')
  })

  it('is invalid_response, naming what is missing, for an edition without publisher', () => {
    expect(mapOpenLibraryPublisher({ edition: fixture('openlibrary/edition-no-publisher.json') }))
      .toEqual({ status: 'invalid_response', detail: 'Open Library edition /books/OL90000002M has no publisher' })
    expect(mapOpenLibraryPublisher({ edition: {} }))
      .toEqual({ status: 'invalid_response', detail: 'Open Library edition has no title, no publisher, no publish date' })
  })

  it('is not_found for the notfound document and invalid_response for what is no object', () => {
    expect(mapOpenLibraryPublisher({ edition: { error: 'notfound', key: '/books/OL1M' } }).status).toBe('not_found')
    for (const body of [null, 'text', [], 42]) expect(mapOpenLibraryPublisher({ edition: body }).status).toBe('invalid_response')
  })
})

describe('Open Library ratings → reviews section', () => {
  it('maps the recorded summary, with no review texts', () => {
    expect(mapOpenLibraryRatings(recorded('openlibrary/ratings-OL18020194W.json')))
      .toEqual({ status: 'ok', data: { averageRating: 4.22540983606557, ratingsCount: 976, items: [] } })
    // The recorded excerpt without `counts` is enough.
    expect(mapOpenLibraryRatings(recorded('openlibrary/ratings-OL27482W.json')))
      .toEqual({ status: 'ok', data: { averageRating: 4.276190476190476, ratingsCount: 420, items: [] } })
  })

  it('is not_found for an edition id used as a work id, and for a work nobody rated', () => {
    expect(mapOpenLibraryRatings(recorded('openlibrary/ratings-notfound-OL27213498M.json')).status).toBe('not_found')
    expect(mapOpenLibraryRatings(fixture('openlibrary/ratings-none.json')))
      .toEqual({ status: 'not_found', detail: 'Open Library has no ratings for this work yet' })
  })

  it('is invalid_response for malformed summaries', () => {
    for (const body of [{}, { summary: {} }, { summary: { count: 3, average: 7 } }, { summary: { count: -1, average: 4 } }, { summary: { count: 2 } }, 'x']) {
      expect(mapOpenLibraryRatings(body).status).toBe('invalid_response')
    }
  })
})
