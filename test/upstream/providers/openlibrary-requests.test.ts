import { describe, expect, it } from 'vitest'
import {
  OPEN_LIBRARY_BATCH_SIZE, openLibraryAuthorPath, openLibraryBooksApiPath, openLibraryEditionPaths, openLibraryRatingsPath,
  openLibrarySearchPath, openLibrarySubjectPath, openLibrarySubjectSlug, openLibraryUserAgent, openLibraryWorkPath
} from '../../../src/upstream/providers/openlibrary-requests.js'

describe('Open Library request paths', () => {
  it('tries the edition under the ISBN-13 and then the ISBN-10 (a book may be listed under one form only)', () => {
    expect(openLibraryEditionPaths('9780140328721', '0140328726')).toEqual(['/isbn/9780140328721.json', '/isbn/0140328726.json'])
    expect(openLibraryEditionPaths('9791090636071', null)).toEqual(['/isbn/9791090636071.json'])
  })

  it('takes work and author keys as Open Library writes them, or bare ids', () => {
    expect(openLibraryWorkPath('/works/OL45804W')).toBe('/works/OL45804W.json')
    expect(openLibraryWorkPath('OL45804W')).toBe('/works/OL45804W.json')
    expect(openLibraryRatingsPath('/works/OL45804W')).toBe('/works/OL45804W/ratings.json')
    expect(openLibraryAuthorPath('/authors/OL34184A')).toBe('/authors/OL34184A.json')
  })

  it('encodes what it is given, so a key cannot climb out of its path', () => {
    expect(openLibraryWorkPath('../../admin')).toBe('/works/..%2F..%2Fadmin.json')
  })

  it('makes subject slugs like the site and clamps the limit to 1–100', () => {
    expect(openLibrarySubjectSlug(" Children's stories, English ")).toBe("children's_stories,_english")
    expect(openLibrarySubjectPath('Foxes', 10)).toBe('/subjects/foxes.json?limit=10')
    expect(openLibrarySubjectPath('Love', 500)).toBe('/subjects/love.json?limit=100')
    expect(openLibrarySubjectPath('Love', 0)).toBe('/subjects/love.json?limit=1')
    expect(openLibrarySubjectPath('a/b?c', 5)).toBe('/subjects/a%2Fb%3Fc.json?limit=5')
  })

  it('asks search for the fields the mapping reads (the ISBN is no default field since 2025)', () => {
    const url = new URL(openLibrarySearchPath('fantastic mr fox&limit=1000', 20), 'https://openlibrary.org')
    expect(url.pathname).toBe('/search.json')
    expect(url.searchParams.get('q')).toBe('fantastic mr fox&limit=1000')
    expect(url.searchParams.get('limit')).toBe('20')
    expect(url.searchParams.get('fields')?.split(',')).toEqual(expect.arrayContaining(['key', 'title', 'author_name', 'isbn']))
  })

  it('batches up to 25 ISBNs in one /api/books call, as JSON with resolved data', () => {
    const url = new URL(openLibraryBooksApiPath(['9780316015844', '2070464237']), 'https://openlibrary.org')
    expect(url.pathname).toBe('/api/books')
    expect(url.searchParams.get('bibkeys')).toBe('ISBN:9780316015844,ISBN:2070464237')
    expect(url.searchParams.get('format')).toBe('json')
    expect(url.searchParams.get('jscmd')).toBe('data')
    expect(() => openLibraryBooksApiPath([])).toThrow(RangeError)
    expect(() => openLibraryBooksApiPath(Array.from({ length: OPEN_LIBRARY_BATCH_SIZE + 1 }, () => '9780316015844'))).toThrow(RangeError)
  })

  it('builds a User-Agent with the contact Open Library requires', () => {
    expect(openLibraryUserAgent({ name: 'book-aggregator', version: '0.1.0', url: 'https://example.org', contact: 'ops@example.org' }))
      .toBe('book-aggregator/0.1.0 (https://example.org; ops@example.org)')
  })
})
