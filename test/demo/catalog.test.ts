import { describe, it, expect } from 'vitest'
import ISBN from 'isbn3'
import {
  catalogIsbns,
  findBook,
  publisherRecordFor,
  recommendationsFor,
  reviewsFor,
  searchCatalog
} from '../../src/demo/catalog.js'

const DUNE = '9780441013593'
const UNKNOWN = '9780306406157'

describe('demo catalog data', () => {
  it('holds at least 50 books with unique ISBN-13s that isbn3 accepts', () => {
    expect(catalogIsbns.length).toBeGreaterThanOrEqual(50)
    expect(new Set(catalogIsbns).size).toBe(catalogIsbns.length)
    for (const isbn of catalogIsbns) {
      const parsed = ISBN.parse(isbn)
      expect(parsed?.isValid, isbn).toBe(true)
      expect(parsed?.isbn13, isbn).toBe(isbn)
    }
  })

  it('contains Dune and Dune Messiah by Frank Herbert', () => {
    expect(findBook(DUNE)).toMatchObject({ title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02' })
    expect(findBook('9780441172719')).toMatchObject({ title: 'Dune Messiah', authors: ['Frank Herbert'] })
  })

  it('has well-formed dates and page counts', () => {
    for (const isbn of catalogIsbns) {
      const book = findBook(isbn)
      expect(book?.publishedDate, isbn).toMatch(/^\d{4}(-\d{2}-\d{2})?$/)
      expect(book?.pageCount, isbn).toBeGreaterThan(0)
    }
  })
})

describe('publisherRecordFor', () => {
  it('returns the book without genre plus a cover URL', () => {
    const record = publisherRecordFor(DUNE)
    expect(record).toMatchObject({ isbn: DUNE, title: 'Dune', coverUrl: `https://covers.openlibrary.org/b/isbn/${DUNE}-L.jpg` })
    expect(record).not.toHaveProperty('genre')
  })

  it('returns undefined for unknown ISBNs', () => {
    expect(publisherRecordFor(UNKNOWN)).toBeUndefined()
  })
})

describe('reviewsFor', () => {
  it('produces 2-5 in-range reviews dated after publication', () => {
    for (const isbn of catalogIsbns) {
      const reviews = reviewsFor(isbn)
      if (!reviews) continue
      const published = findBook(isbn)?.publishedDate ?? ''
      expect(reviews.items.length).toBeGreaterThanOrEqual(2)
      expect(reviews.items.length).toBeLessThanOrEqual(5)
      expect(reviews.averageRating).toBeGreaterThanOrEqual(0)
      expect(reviews.averageRating).toBeLessThanOrEqual(5)
      expect(Number.isInteger(reviews.ratingsCount)).toBe(true)
      expect(reviews.ratingsCount).toBeGreaterThanOrEqual(reviews.items.length)
      for (const item of reviews.items) {
        expect(Number.isInteger(item.rating)).toBe(true)
        expect(item.rating).toBeGreaterThanOrEqual(1)
        expect(item.rating).toBeLessThanOrEqual(5)
        expect(item.date > published, `${isbn} ${item.date}`).toBe(true)
      }
    }
  })

  it('leaves a few catalog books without reviews and unknown ISBNs undefined', () => {
    const missing = catalogIsbns.filter((isbn) => reviewsFor(isbn) === undefined)
    expect(missing.length).toBeGreaterThanOrEqual(1)
    expect(missing).not.toContain(DUNE)
    expect(reviewsFor(UNKNOWN)).toBeUndefined()
  })

  it('is deterministic', () => {
    expect(reviewsFor(DUNE)).toEqual(reviewsFor(DUNE))
  })
})

describe('recommendationsFor', () => {
  it('recommends 3-5 other catalog books with descending scores', () => {
    for (const isbn of catalogIsbns) {
      const recs = recommendationsFor(isbn)
      expect(recs?.items.length).toBeGreaterThanOrEqual(3)
      expect(recs?.items.length).toBeLessThanOrEqual(5)
      const items = recs?.items ?? []
      for (const [i, item] of items.entries()) {
        expect(item.isbn).not.toBe(isbn)
        expect(catalogIsbns).toContain(item.isbn)
        expect(item.score).toBeGreaterThanOrEqual(0)
        expect(item.score).toBeLessThanOrEqual(1)
        if (i > 0) expect(item.score).toBeLessThanOrEqual(items[i - 1]?.score ?? 1)
      }
    }
  })

  it('puts books by the same author first', () => {
    const titles = recommendationsFor(DUNE)?.items.slice(0, 3).map((r) => r.title)
    expect(titles?.sort()).toEqual(['Children of Dune', 'Dune Messiah', 'God Emperor of Dune'])
  })

  it('is deterministic and undefined for unknown ISBNs', () => {
    expect(recommendationsFor(DUNE)).toEqual(recommendationsFor(DUNE))
    expect(recommendationsFor(UNKNOWN)).toBeUndefined()
  })
})

describe('searchCatalog', () => {
  it('matches titles case-insensitively', () => {
    const isbns = searchCatalog('dUNe', 10).results.map((r) => r.isbn)
    expect(isbns).toContain(DUNE)
    expect(isbns).toContain('9780441172719')
  })

  it('matches authors and respects the limit', () => {
    expect(searchCatalog('herbert', 2).results).toHaveLength(2)
    expect(searchCatalog('tolkien', 50).results.length).toBeGreaterThanOrEqual(4)
    expect(searchCatalog('zzz-no-such-book', 10).results).toEqual([])
  })
})
