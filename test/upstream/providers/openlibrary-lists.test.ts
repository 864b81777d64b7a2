import { describe, expect, it } from 'vitest'
import {
  mapOpenLibraryBooksApiEntry, mapOpenLibrarySearch, mapOpenLibrarySubjectRecommendations, openLibraryRecommendationSubjects
} from '../../../src/upstream/providers/openlibrary-lists.js'
import { fixture, recorded } from '../../helpers/provider-samples.js'

describe('Open Library subject → recommendations', () => {
  it('maps the recorded subject works to items with key and url, and no ISBN (works have none)', () => {
    expect(mapOpenLibrarySubjectRecommendations(recorded('openlibrary/subjects-love.json'))).toEqual({
      status: 'ok',
      data: { items: [{ key: '/works/OL21177W', url: 'https://openlibrary.org/works/OL21177W', title: 'Wuthering Heights', authors: ['Emily Brontë'] }] }
    })
  })

  it('drops the book itself, duplicates and malformed works, and honours the limit', () => {
    const body = {
      name: 'foxes',
      works: [
        { key: '/works/OL45804W', title: 'Fantastic Mr Fox', authors: [{ name: 'Roald Dahl' }] },
        { key: '/works/OL2W', title: 'Two', authors: [{ name: 'A' }, { key: '/authors/OL9A' }] },
        { key: '/works/OL2W', title: 'Two again' },
        { key: '/books/OL3M', title: 'an edition key' },
        { key: '/works/OL4W' },
        { key: '/works/OL5W', title: 'Five' },
        { key: '/works/OL6W', title: 'Six' }
      ]
    }
    const result = mapOpenLibrarySubjectRecommendations(body, { excludeWorkKeys: ['/works/OL45804W'], limit: 2 })
    expect(result.status === 'ok' && result.data.items.map((item) => [item.key, item.authors])).toEqual([['/works/OL2W', ['A']], ['/works/OL5W', []]])
  })

  it('is not_found for a subject without (other) works, invalid_response without a works list', () => {
    expect(mapOpenLibrarySubjectRecommendations(fixture('openlibrary/subjects-empty.json')))
      .toEqual({ status: 'not_found', detail: 'Open Library subject "no such subject" has no other works' })
    expect(mapOpenLibrarySubjectRecommendations(recorded('openlibrary/subjects-love.json'), { excludeWorkKeys: ['/works/OL21177W'] }).status).toBe('not_found')
    expect(mapOpenLibrarySubjectRecommendations({ works: 'x' }).status).toBe('invalid_response')
  })

  it('picks the work subjects worth a subject lookup, leaving out the generic ones', () => {
    expect(openLibraryRecommendationSubjects(recorded('openlibrary/work-OL45804W.json'))).toEqual(['Animals', 'Hunger', "Children's stories, English"])
    expect(openLibraryRecommendationSubjects(fixture('openlibrary/work-object-description.json'), 5)).toEqual(['Science fiction', 'Wind', 'French fiction'])
    expect(openLibraryRecommendationSubjects(null)).toEqual([])
  })
})

describe('Open Library search → search results', () => {
  it('maps the recorded default-fields answer (no isbn field: the hit has none)', () => {
    expect(mapOpenLibrarySearch(recorded('openlibrary/search-q-9788466358804.json'))).toEqual({
      status: 'ok',
      data: { results: [{ key: '/works/OL24229351W', url: 'https://openlibrary.org/works/OL24229351W', title: 'Billy Summers', authors: ['Stephen King'], publishedDate: '2021' }] }
    })
  })

  it('reads isbn and publisher when asked for in fields=, and drops docs without key or title', () => {
    expect(mapOpenLibrarySearch(fixture('openlibrary/search-with-fields.json'))).toEqual({
      status: 'ok',
      data: {
        results: [
          { isbn: '9780140328721', key: '/works/OL45804W', url: 'https://openlibrary.org/works/OL45804W', title: 'Fantastic Mr Fox', authors: ['Roald Dahl'], publisher: 'Puffin', publishedDate: '1970' },
          { key: '/works/OL90000003W', url: 'https://openlibrary.org/works/OL90000003W', title: 'No ISBN, no publisher', authors: [] }
        ]
      }
    })
  })

  it('answers no hits as an empty list, and a body without docs as invalid_response', () => {
    expect(mapOpenLibrarySearch(fixture('openlibrary/search-empty.json'))).toEqual({ status: 'ok', data: { results: [] } })
    expect(mapOpenLibrarySearch(recorded('openlibrary/error-429.json')).status).toBe('invalid_response')
  })
})

describe('Open Library /api/books entry → publisher section', () => {
  it('maps a recorded batch entry: names and covers resolved, no description or language in this form', () => {
    expect(mapOpenLibraryBooksApiEntry(recorded('openlibrary/api-books-jscmd-data-9780316087360.json'), '9780316087360')).toEqual({
      status: 'ok',
      data: {
        title: 'Eclipse (The Twilight Saga)',
        authors: ['Stephenie Meyer'],
        publisher: 'Little, Brown Books for Young Readers',
        publishedDate: 'May 18, 2010',
        publishedDateIso: '2010-05-18',
        pageCount: 640,
        coverUrl: 'https://covers.openlibrary.org/b/id/6389445-L.jpg'
      }
    })
    const horde = mapOpenLibraryBooksApiEntry(recorded('openlibrary/api-books-jscmd-data-2070464237.json'), '2070464237')
    expect(horde.status === 'ok' && [horde.data.title, horde.data.publisher, horde.data.publishedDateIso]).toEqual(['La Horde du Contrevent', 'Gallimard', '2015'])
  })

  it('finds entries only under the bibkey as sent, and is not_found for an absent one', () => {
    const body = recorded('openlibrary/api-books-jscmd-data-2070464237.json')
    expect(mapOpenLibraryBooksApiEntry(body, '9782070464234').status).toBe('not_found')
    expect(mapOpenLibraryBooksApiEntry(fixture('openlibrary/api-books-empty.json'), '9780316087360'))
      .toEqual({ status: 'not_found', detail: 'Open Library /api/books has no entry for ISBN 9780316087360' })
    expect(mapOpenLibraryBooksApiEntry([], '9780316087360').status).toBe('invalid_response')
  })
})
