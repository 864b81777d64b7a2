// Small pure normalizations of what the public providers really send, shared by their mappings.
import { isbn10CheckDigit, isbn13CheckDigit } from '../../domain/isbn-check-digit.js'
import { asRecord, firstOf, readString } from './json-reading.js'

export { toIso6391 } from './language-codes.js'
export { normalizePublishDate, readIsoDate, type PublishDate } from './publish-date.js'

/**
 * Open Library stores texts either as a plain string or as `{type: "/type/text", value}`,
 * depending on the editor that last saved the record; both mean the same. Its line breaks are
 * CRLF (typed into a web form); we keep LF only.
 */
export function descriptionText(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : asRecord(value)?.value
  return readString(text)?.replace(/\r\n?/g, '\n')
}

export type OpenLibraryCoverSize = 'S' | 'M' | 'L'

/**
 * The cover image of an Open Library cover id. Ids of -1 (and other non-positive values) mark
 * covers that were deleted or never uploaded; their URL would be a placeholder image.
 * Images by cover id are not rate limited (images by ISBN are), so this is the form to link.
 */
export function openLibraryCoverUrl(id: unknown, size: OpenLibraryCoverSize = 'L'): string | undefined {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return undefined
  return `https://covers.openlibrary.org/b/id/${id}-${size}.jpg`
}

/** The first usable cover of an Open Library `covers` list (the one the site shows). */
export function firstOpenLibraryCoverUrl(covers: unknown): string | undefined {
  return firstOf(covers, (id) => openLibraryCoverUrl(id))
}

/**
 * An absolute http(s) URL upgraded to https. Google Books hands out `http://` image links, which
 * browsers block as mixed content on an https page; the same hosts serve them over https.
 */
export function httpsUrl(value: unknown): string | undefined {
  const text = readString(value)
  if (text === undefined || !URL.canParse(text)) return undefined
  const url = new URL(text)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  url.protocol = 'https:'
  return url.href
}

/**
 * Author names as display strings: whitespace collapsed (catalogue records carry double spaces
 * and line breaks), blanks dropped, and each name once, since providers list an author once per
 * role ("Author", "Illustrator") or per merged duplicate record.
 */
export function normalizeAuthorNames(names: readonly unknown[]): string[] {
  const seen = new Set<string>()
  const result: string[] = []
  for (const name of names) {
    const text = readString(name)?.replace(/\s+/g, ' ')
    if (text === undefined || seen.has(text.toLowerCase())) continue
    seen.add(text.toLowerCase())
    result.push(text)
  }
  return result
}

/**
 * An ISBN-10 or ISBN-13 (hyphens and spaces allowed) as ISBN-13, or `undefined` when it is not
 * a well-formed ISBN with a correct check digit. Providers list identifiers in either form, so
 * comparing ISBNs means comparing this form.
 */
export function toIsbn13(identifier: unknown): string | undefined {
  if (typeof identifier !== 'string') return undefined
  const compact = identifier.replace(/[- ]/g, '').toUpperCase()
  if (/^\d{13}$/.test(compact)) return isbn13CheckDigit(compact.slice(0, 12)) === compact[12] ? compact : undefined
  if (!/^\d{9}[\dX]$/.test(compact) || isbn10CheckDigit(compact.slice(0, 9)) !== compact[9]) return undefined
  const body = `978${compact.slice(0, 9)}`
  return body + isbn13CheckDigit(body)
}
