import { describe, expect, it } from 'vitest'
import {
  describeGoogleError, findGoogleVolume, googleVolumesPath, mapGooglePublisher, mapGoogleReviews
} from '../../../src/upstream/providers/googlebooks-mapping.js'
import { fixture, recorded, recordedFiles } from '../../helpers/provider-samples.js'

const MISMATCHED = '9780143119111' // providers.md: Google answers it with 9781101477816

describe('googleVolumesPath', () => {
  it('asks for one isbn: term, with the key when there is one', () => {
    const url = new URL(googleVolumesPath('9780141439563', 'k&ey'), 'https://www.googleapis.com/books/v1/')
    expect(url.searchParams.get('q')).toBe('isbn:9780141439563')
    expect(url.searchParams.get('key')).toBe('k&ey')
    expect(googleVolumesPath('9780141439563')).toBe('/volumes?q=isbn%3A9780141439563')
  })
})

describe('Google volumes → publisher section', () => {
  it('maps a recorded volume, upgrading its http thumbnail to https', () => {
    expect(mapGooglePublisher(recorded('googlebooks/volumes-isbn-9780141439563.json'), '9780141439563')).toEqual({
      status: 'ok',
      data: {
        title: 'Great Expectations',
        authors: ['Charles Dickens'],
        publisher: 'Penguin UK',
        publishedDate: '2003-01-30',
        publishedDateIso: '2003-01-30',
        pageCount: 514,
        language: 'en',
        description: 'A young orphan, Pip, receives a fortune from a mysterious benefactor and travels to London in order to become a gentleman',
        coverUrl: 'https://books.google.com/books/content?id=KJvuJnzbtJAC&printsec=frontcover&img=1&zoom=1&edge=curl&source=gbs_api'
      }
    })
  })

  it('maps every recorded volume whose identifiers contain the requested ISBN', () => {
    const files = recordedFiles('googlebooks', 'volumes-isbn-')
    expect(files.length).toBeGreaterThanOrEqual(20)
    for (const file of files) {
      const isbn = file.slice('volumes-isbn-'.length, -'.json'.length)
      const result = mapGooglePublisher(recorded(`googlebooks/${file}`), isbn)
      expect(result.status, file).toBe(isbn === MISMATCHED ? 'not_found' : 'ok')
    }
  })

  it('drops an answer about a different book, saying so', () => {
    expect(mapGooglePublisher(recorded(`googlebooks/volumes-isbn-${MISMATCHED}.json`), MISMATCHED)).toEqual({
      status: 'not_found',
      detail: 'Google Books answered ISBN 9780143119111 with a different book (ISBN 9781101477816); dropped'
    })
  })

  it('takes the matching item when a related edition comes first', () => {
    const result = mapGooglePublisher(fixture('googlebooks/volumes-related-edition-first.json'), MISMATCHED)
    expect(result.status === 'ok' && [result.data.publisher, result.data.publishedDateIso]).toEqual(['Penguin Classics', '2009-03'])
  })

  it('matches an ISBN-10 identifier against an ISBN-13 request (and the reverse), dropping malformed fields', () => {
    const body = fixture('googlebooks/volumes-isbn10-only.json')
    const expected = {
      status: 'ok',
      data: {
        title: 'Code Complete',
        authors: ['Steve McConnell'],
        publisher: "O'Reilly Media, Inc.",
        publishedDate: '2004',
        publishedDateIso: '2004',
        language: 'en',
        coverUrl: 'https://books.google.com/books/content?id=QnghAQAAIAAJ&printsec=frontcover&img=1&zoom=1&source=gbs_api'
      }
    }
    expect(mapGooglePublisher(body, '9780735619678')).toEqual(expected) // pageCount "914" (a string) dropped
    expect(mapGooglePublisher(body, '0735619670')).toEqual(expected)
  })

  it('cannot confirm a volume with only OTHER identifiers (the node-isbn recording): not_found', () => {
    const volumeInfo = recorded('googlebooks/volumeinfo-isbn-0735619670.json')
    expect(mapGooglePublisher({ totalItems: 1, items: [{ volumeInfo }] }, '0735619670')).toEqual({
      status: 'not_found',
      detail: 'Google Books answered ISBN 0735619670 with a different book (volumes without ISBN identifiers); dropped'
    })
  })

  it('is not_found for totalItems 0 or no items', () => {
    expect(mapGooglePublisher(fixture('googlebooks/volumes-empty.json'), '9780141439563'))
      .toEqual({ status: 'not_found', detail: 'Google Books has no volume for ISBN 9780141439563' })
    expect(mapGooglePublisher({ kind: 'books#volumes', totalItems: 3, items: [] }, '9780141439563').status).toBe('not_found')
  })

  it('is invalid_response for error documents and non-objects, with Google\'s message', () => {
    expect(mapGooglePublisher(recorded('googlebooks/error-429.json'), '9780141439563')).toEqual({
      status: 'invalid_response',
      detail: expect.stringMatching(/^Google Books answered with an error: RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Queries'/)
    })
    for (const body of [null, [], 'html', 3]) expect(mapGooglePublisher(body, '9780141439563').status).toBe('invalid_response')
  })

  it('is invalid_response when the matched volume lacks a field the section needs', () => {
    const body = { totalItems: 1, items: [{ volumeInfo: { title: 'T', industryIdentifiers: [{ type: 'ISBN_13', identifier: '9780141439563' }] } }] }
    expect(mapGooglePublisher(body, '9780141439563'))
      .toEqual({ status: 'invalid_response', detail: 'Google Books volume for ISBN 9780141439563 has no publisher, no publish date' })
  })
})

describe('Google volumes → reviews section', () => {
  it('maps averageRating and ratingsCount, with no review texts', () => {
    expect(mapGoogleReviews(recorded('googlebooks/volumes-isbn-9780141378558.json'), '9780141378558'))
      .toEqual({ status: 'ok', data: { averageRating: 3.5, ratingsCount: 62, items: [] } })
  })

  it('is not_found when Google has no ratings (often) or answered another book', () => {
    expect(mapGoogleReviews(recorded('googlebooks/volumes-isbn-9780099466734.json'), '9780099466734'))
      .toEqual({ status: 'not_found', detail: 'Google Books has no ratings for ISBN 9780099466734' })
    expect(mapGoogleReviews(recorded(`googlebooks/volumes-isbn-${MISMATCHED}.json`), MISMATCHED).status).toBe('not_found')
  })

  it('is invalid_response for ratings off the 0–5 scale or half present', () => {
    const volume = (extra: object): unknown => ({ totalItems: 1, items: [{ volumeInfo: { industryIdentifiers: [{ type: 'ISBN_13', identifier: '9780141439563' }], ...extra } }] })
    expect(mapGoogleReviews(volume({ averageRating: 9, ratingsCount: 2 }), '9780141439563').status).toBe('invalid_response')
    expect(mapGoogleReviews(volume({ averageRating: 4 }), '9780141439563').status).toBe('invalid_response')
  })
})

describe('describeGoogleError', () => {
  it('reads status and message of Google error documents', () => {
    expect(describeGoogleError(fixture('googlebooks/error-400-key-invalid.json'))).toBe('INVALID_ARGUMENT: API key not valid. Please pass a valid API key.')
    expect(describeGoogleError(fixture('googlebooks/error-403-unregistered.json'))).toMatch(/^PERMISSION_DENIED: Method doesn't allow unregistered callers/)
    expect(describeGoogleError({ error: {} })).toBe('unknown error')
    expect(describeGoogleError(recorded('googlebooks/volumes-isbn-9780141439563.json'))).toBeUndefined()
  })

  it('is used by findGoogleVolume too', () => {
    expect(findGoogleVolume(fixture('googlebooks/error-403-unregistered.json'), '9780141439563').status).toBe('invalid_response')
  })
})
