// Google Books `GET {base}/volumes?q=isbn:{isbn}` → publisher and reviews sections. One call
// serves both; `base` is https://www.googleapis.com/books/v1.
import { invalidResponse, mapped, notFound, type MappingResult } from './mapping-result.js'
import { asArray, asRecord, readCount, readRating, readString, type JsonRecord } from './json-reading.js'
import { httpsUrl, normalizeAuthorNames, toIsbn13, toIso6391 } from './normalize.js'
import { completePublisherSection } from './publisher-section.js'
import type { PublisherSection, ReviewsSection } from './section-types.js'

/**
 * `/volumes?q=isbn:{isbn}` (+ `&key=`). Keyless calls share a global quota that is nearly always
 * exhausted, so production passes a key. Google has no form taking many ISBNs at once: `q`
 * matches one `isbn:` term.
 */
export function googleVolumesPath(isbn: string, apiKey?: string): string {
  const params = new URLSearchParams({ q: `isbn:${isbn}` })
  if (apiKey !== undefined && apiKey !== '') params.set('key', apiKey)
  return `/volumes?${params.toString()}`
}

/**
 * The `volumeInfo` of the volume that really is `isbn`. Google sometimes answers an ISBN query
 * with a related edition (providers.md: 9780143119111 answers with 9781101477816), so a volume
 * counts only when its `industryIdentifiers` contain the ISBN, both compared as ISBN-13.
 * Volumes with no ISBN identifiers at all (only `OTHER`, e.g. library scans) cannot be
 * confirmed and are dropped the same way.
 */
export function findGoogleVolume(body: unknown, isbn: string): MappingResult<JsonRecord> {
  const record = asRecord(body)
  if (record === undefined) return invalidResponse('Google Books answer is not a JSON object')
  const error = describeGoogleError(record)
  if (error !== undefined) return invalidResponse(`Google Books answered with an error: ${error}`)
  const wanted = toIsbn13(isbn)
  if (wanted === undefined) return invalidResponse(`not an ISBN: ${isbn}`)
  const items = asArray(record.items)
  if (record.totalItems === 0 || items.length === 0) return notFound(`Google Books has no volume for ISBN ${isbn}`)
  const others: string[] = []
  for (const item of items) {
    const info = asRecord(asRecord(item)?.volumeInfo)
    if (info === undefined) continue
    const isbns = volumeIsbn13s(info)
    if (isbns.includes(wanted)) return mapped(info)
    others.push(...isbns)
  }
  const answered = others.length === 0 ? 'volumes without ISBN identifiers' : `ISBN ${[...new Set(others)].join(', ')}`
  return notFound(`Google Books answered ISBN ${isbn} with a different book (${answered}); dropped`)
}

export function mapGooglePublisher(body: unknown, isbn: string): MappingResult<PublisherSection> {
  const found = findGoogleVolume(body, isbn)
  if (found.status !== 'ok') return found
  const info = found.data
  const images = asRecord(info.imageLinks)
  const language = readString(info.language)
  return completePublisherSection({
    title: readString(info.title),
    subtitle: readString(info.subtitle),
    authors: normalizeAuthorNames(asArray(info.authors)),
    publisher: readString(info.publisher),
    publishedDate: readString(info.publishedDate),
    pageCount: readCount(info.pageCount, { positive: true }),
    language: language === undefined ? undefined : toIso6391(language),
    description: readString(info.description),
    // Largest first; the search answer usually has only the two thumbnails.
    coverUrl: ['extraLarge', 'large', 'medium', 'small', 'thumbnail', 'smallThumbnail']
      .map((size) => httpsUrl(images?.[size]))
      .find((url) => url !== undefined)
  }, `Google Books volume for ISBN ${isbn}`)
}

/**
 * `averageRating` and `ratingsCount` when Google has them (often it has not: then `not_found`).
 * Google shows no review texts through the API, so `items` is empty.
 */
export function mapGoogleReviews(body: unknown, isbn: string): MappingResult<ReviewsSection> {
  const found = findGoogleVolume(body, isbn)
  if (found.status !== 'ok') return found
  const average = readRating(found.data.averageRating)
  const count = readCount(found.data.ratingsCount)
  if (found.data.averageRating === undefined && found.data.ratingsCount === undefined) {
    return notFound(`Google Books has no ratings for ISBN ${isbn}`)
  }
  if (average === undefined || count === undefined || count === 0) {
    return invalidResponse(`Google Books ratings for ISBN ${isbn} are malformed (averageRating ${String(found.data.averageRating)}, ratingsCount ${String(found.data.ratingsCount)})`)
  }
  return mapped({ averageRating: average, ratingsCount: count, items: [] })
}

/**
 * The message of a Google API error document (`{error: {code, message, status}}`), as sent with
 * 429 (quota exhausted), 400 (bad key) and 403 (no key): for `sources.<name>.detail`.
 */
export function describeGoogleError(body: unknown): string | undefined {
  const error = asRecord(asRecord(body)?.error)
  if (error === undefined) return undefined
  const parts = [readString(error.status), readString(error.message)].filter((part) => part !== undefined)
  return parts.length === 0 ? 'unknown error' : parts.join(': ')
}

function volumeIsbn13s(info: JsonRecord): string[] {
  return asArray(info.industryIdentifiers).flatMap((entry) => {
    const identifier = asRecord(entry)
    if (identifier?.type !== 'ISBN_13' && identifier?.type !== 'ISBN_10') return []
    const isbn13 = toIsbn13(identifier.identifier)
    return isbn13 === undefined ? [] : [isbn13]
  })
}
