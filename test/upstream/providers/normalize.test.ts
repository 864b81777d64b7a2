import { describe, expect, it } from 'vitest'
import { descriptionText, firstOpenLibraryCoverUrl, httpsUrl, normalizeAuthorNames, openLibraryCoverUrl, toIsbn13 } from '../../../src/upstream/providers/normalize.js'
import { recorded } from '../../helpers/provider-samples.js'

describe('descriptionText', () => {
  it('reads the plain-string form, with CRLF line breaks made LF', () => {
    const work = recorded('openlibrary/work-OL45804W.json') as { description: string }
    const text = descriptionText(work.description)
    expect(text).toMatch(/^The main character of Fantastic Mr\. Fox/)
    expect(text).not.toContain('\r')
    expect(text).toContain('named Boggis, Bunce, and Bean every night.\n\nFinally')
  })

  it('reads the {type, value} form', () => {
    expect(descriptionText({ type: '/type/text', value: ' Down in the valley.\r\n' })).toBe('Down in the valley.')
  })

  it.each([undefined, null, 42, '', '   ', { type: '/type/text' }, { value: 7 }, ['text']])('drops %j', (value) => {
    expect(descriptionText(value)).toBeUndefined()
  })
})

describe('Open Library covers', () => {
  it('links a cover id at size L by default', () => {
    expect(openLibraryCoverUrl(8739161)).toBe('https://covers.openlibrary.org/b/id/8739161-L.jpg')
    expect(openLibraryCoverUrl(8739161, 'S')).toBe('https://covers.openlibrary.org/b/id/8739161-S.jpg')
  })

  it.each([-1, 0, 1.5, '8739161', null, undefined, Number.NaN])('has no URL for cover id %j', (id) => {
    expect(openLibraryCoverUrl(id)).toBeUndefined()
  })

  it('skips -1 and malformed ids in a covers list', () => {
    expect(firstOpenLibraryCoverUrl([-1, 'x', 108274])).toBe('https://covers.openlibrary.org/b/id/108274-L.jpg')
    expect(firstOpenLibraryCoverUrl([-1])).toBeUndefined()
    expect(firstOpenLibraryCoverUrl(undefined)).toBeUndefined()
  })
})

describe('httpsUrl', () => {
  it('upgrades Google http image links to https and keeps their query', () => {
    expect(httpsUrl('http://books.google.com/books/content?id=KJvuJnzbtJAC&printsec=frontcover&img=1&zoom=1&edge=curl&source=gbs_api'))
      .toBe('https://books.google.com/books/content?id=KJvuJnzbtJAC&printsec=frontcover&img=1&zoom=1&edge=curl&source=gbs_api')
    expect(httpsUrl('https://assets.hardcover.app/x.jpeg')).toBe('https://assets.hardcover.app/x.jpeg')
  })

  it.each(['javascript:alert(1)', 'data:image/png;base64,AA', '/relative.jpg', 'not a url', '', 42])('drops %j', (value) => {
    expect(httpsUrl(value)).toBeUndefined()
  })
})

describe('normalizeAuthorNames', () => {
  it('collapses whitespace, drops blanks and non-strings, and lists each name once', () => {
    expect(normalizeAuthorNames(['Roald Dahl', ' Roald  Dahl ', null, '', 'roald dahl', 'Quentin\nBlake', 7])).toEqual(['Roald Dahl', 'Quentin Blake'])
  })
})

describe('toIsbn13', () => {
  it('converts ISBN-10 to ISBN-13, X check digits included', () => {
    expect(toIsbn13('0140328726')).toBe('9780140328721')
    expect(toIsbn13('031608736X')).toBe('9780316087360')
    expect(toIsbn13('031608736x')).toBe('9780316087360')
    expect(toIsbn13('1101477814')).toBe('9781101477816')
  })

  it('keeps a valid ISBN-13 and accepts hyphens and spaces', () => {
    expect(toIsbn13('978-0-14-311911-1')).toBe('9780143119111')
    expect(toIsbn13('979 10 90636 07 1')).toBe('9791090636071')
  })

  it.each(['0140328727', '9780140328722', 'UCSC:32106018687688', '03160X736X', '', 9780140328721, null])('rejects %j', (value) => {
    expect(toIsbn13(value)).toBeUndefined()
  })
})
