import { describe, expect, it } from 'vitest'
import { findHardcoverEdition, mapHardcoverBook, mapHardcoverPublisher, mapHardcoverReviews, type HardcoverBook } from '../../../src/upstream/providers/hardcover-mapping.js'
import { fixture, recorded } from '../../helpers/provider-samples.js'

const editions = fixture('hardcover/graphql-editions-9780765365293.json')
// The recorded explorer output holds only `data`; on the wire it is wrapped.
const oathbringerEditions = { data: recorded('hardcover/graphql-editions-title-Oathbringer.json') }
const BOOK: HardcoverBook = { id: 90000002, slug: 'oathbringer', rating: 4.6, ratingsCount: 1500, authors: ['Brandon Sanderson'] }

describe('Hardcover editions → publisher section', () => {
  it('maps our EditionsByIsbn answer, authors without narrators', () => {
    expect(mapHardcoverPublisher(editions, '9780765365293')).toEqual({
      status: 'ok',
      data: {
        title: 'Oathbringer',
        authors: ['Brandon Sanderson'],
        publisher: 'Tor Fantasy',
        publishedDate: '2019-09-01',
        publishedDateIso: '2019-09-01',
        pageCount: 1298,
        language: 'en',
        description: 'The third book of The Stormlight Archive.',
        coverUrl: 'https://assets.hardcover.app/edition/90000001/cover.jpeg'
      }
    })
  })

  it('picks the edition of the requested ISBN among the recorded 35, by ISBN-13 or ISBN-10', () => {
    const byIsbn10 = mapHardcoverPublisher(oathbringerEditions, '1427275947')
    expect(byIsbn10).toEqual({
      status: 'ok',
      data: { title: 'Oathbringer', authors: [], publisher: 'Macmillan Audio', publishedDate: '2017-11-14', publishedDateIso: '2017-11-14' }
    })
    expect(mapHardcoverPublisher(oathbringerEditions, '9781427275943')).toEqual(byIsbn10)
  })

  it('is invalid_response for a recorded edition with null publisher and date, naming them', () => {
    expect(mapHardcoverPublisher(oathbringerEditions, '9781648813825'))
      .toEqual({ status: 'invalid_response', detail: 'Hardcover edition 32220998 (ISBN 9781648813825) has no publisher, no publish date' })
  })

  it('is not_found when no edition has the ISBN, invalid_response for errors', () => {
    expect(mapHardcoverPublisher(fixture('hardcover/graphql-editions-empty.json'), '9780765365293'))
      .toEqual({ status: 'not_found', detail: 'Hardcover has no edition with ISBN 9780765365293' })
    expect(mapHardcoverPublisher(oathbringerEditions, '9780140328721').status).toBe('not_found')
    expect(mapHardcoverPublisher(fixture('hardcover/graphql-errors.json'), '9780765365293').status).toBe('invalid_response')
    expect(findHardcoverEdition({ data: { editions: 'x' } }, '9780765365293').status).toBe('invalid_response')
  })
})

describe('Hardcover editions → book', () => {
  it('reads the book the reviews and recommendations hang off', () => {
    expect(mapHardcoverBook(editions, '0765365294')).toEqual({ status: 'ok', data: BOOK })
  })

  it('is invalid_response for an edition without book (the recorded by-title rows)', () => {
    expect(mapHardcoverBook(oathbringerEditions, '9780765365293'))
      .toEqual({ status: 'invalid_response', detail: 'Hardcover edition with ISBN 9780765365293 has no book id' })
  })
})

describe('Hardcover reviews → reviews section', () => {
  it('maps the recorded user_books reviews with their texts (no usernames were selected there)', () => {
    const result = mapHardcoverReviews(BOOK, recorded('hardcover/graphql-user_books-reviews-by-username.json'))
    expect(result.status).toBe('ok')
    if (result.status !== 'ok') return
    expect(result.data.averageRating).toBe(4.6)
    expect(result.data.ratingsCount).toBe(1500)
    expect(result.data.items).toHaveLength(3)
    expect(result.data.items[0]).toEqual({ author: 'Hardcover reader', rating: 5, text: 'Neeeeeeeew achievement! Read my first LitRPG!', date: '2025-04-23' })
    expect(result.data.items[1]).toMatchObject({ rating: 4.5, date: '2024-04-02' })
    expect(result.data.items[2]?.date).toBe('2023-10-18')
  })

  it('drops reviews without rating or text, reads string ratings, and keeps LF line breaks', () => {
    expect(mapHardcoverReviews(BOOK, fixture('hardcover/graphql-reviews-by-book.json'))).toEqual({
      status: 'ok',
      data: {
        averageRating: 4.6,
        ratingsCount: 1500,
        items: [
          { author: 'reader_one', rating: 5, text: 'Worth every one of its pages.\nThe ending delivers.', date: '2024-05-02' },
          { author: 'Hardcover reader', rating: 3.5, text: 'Long, but the third act is great.', date: '2023-12-24' }
        ]
      }
    })
  })

  it('has the rating and no items when reviews were not fetched', () => {
    expect(mapHardcoverReviews(BOOK)).toEqual({ status: 'ok', data: { averageRating: 4.6, ratingsCount: 1500, items: [] } })
  })

  it('is not_found for a book nobody rated, invalid_response for a failed reviews answer', () => {
    expect(mapHardcoverReviews({ id: 1, ratingsCount: 0, authors: [] }, fixture('hardcover/graphql-reviews-by-book.json')))
      .toEqual({ status: 'not_found', detail: 'Hardcover has no ratings for book 1' })
    expect(mapHardcoverReviews(BOOK, fixture('hardcover/graphql-errors.json')).status).toBe('invalid_response')
    expect(mapHardcoverReviews(BOOK, { data: {} })).toEqual({ status: 'invalid_response', detail: 'Hardcover answer has no user_books list' })
  })
})
