// Open Library bodies → section data: the edition (with its work and resolved author names) →
// publisher section, the work's ratings → reviews section. Request paths: openlibrary-requests.ts;
// subject and search lists: openlibrary-lists.ts.
import { invalidResponse, mapped, notFound, type MappingResult } from './mapping-result.js'
import { asArray, asRecord, firstOf, readCount, readFiniteNumber, readString, type JsonRecord } from './json-reading.js'
import { descriptionText, firstOpenLibraryCoverUrl, normalizeAuthorNames, toIso6391 } from './normalize.js'
import { completePublisherSection } from './publisher-section.js'
import type { PublisherSection, ReviewsSection } from './section-types.js'

export interface OpenLibraryPublisherInput {
  /** The body of `/books/OL…M.json` (where `/isbn/{isbn}.json` redirects). */
  readonly edition: unknown
  /** The body of `/works/{W}.json`, when fetched: the description and fallback covers live there. */
  readonly work?: unknown
  /** Names resolved for `openLibraryAuthorKeys(edition, work)`, in that order; missing → no authors. */
  readonly authorNames?: readonly string[]
}

/** The work key of an edition (`/works/OL45804W`): needed for the work, its ratings and subjects. */
export function openLibraryWorkKey(edition: unknown): string | undefined {
  return firstOf(asRecord(edition)?.works, (work) => keyOf(work, '/works/'))
}

/**
 * The author keys to resolve with `/authors/{id}.json`: the edition's (`authors[].key`), or,
 * when the edition lists none, the work's (`authors[].author.key`), in order, once each.
 */
export function openLibraryAuthorKeys(edition: unknown, work?: unknown): string[] {
  const fromEdition = asArray(asRecord(edition)?.authors).map((author) => keyOf(author, '/authors/'))
  const fromWork = asArray(asRecord(work)?.authors).map((entry) => keyOf(asRecord(entry)?.author, '/authors/'))
  const keys = fromEdition.some((key) => key !== undefined) ? fromEdition : fromWork
  return [...new Set(keys.filter((key): key is string => key !== undefined))]
}

/** The display name in an `/authors/{id}.json` body (`personal_name` is the inverted "Dahl, Roald."). */
export function openLibraryAuthorName(author: unknown): string | undefined {
  return readString(asRecord(author)?.name)
}

export function mapOpenLibraryPublisher(input: OpenLibraryPublisherInput): MappingResult<PublisherSection> {
  const edition = asRecord(input.edition)
  if (edition === undefined) return invalidResponse('Open Library edition is not a JSON object')
  if (isNotFoundDocument(edition)) return notFound('Open Library has no edition for this ISBN')
  const work = asRecord(input.work)
  const title = readString(edition.title)
  // Older records split a leading article off into `title_prefix` ("The ", "A ").
  const prefix = typeof edition.title_prefix === 'string' ? edition.title_prefix : ''
  return completePublisherSection({
    title: title === undefined ? undefined : `${prefix}${title}`.replace(/\s+/g, ' ').trim(),
    subtitle: readString(edition.subtitle),
    authors: normalizeAuthorNames(input.authorNames ?? []),
    publisher: firstOf(edition.publishers, publisherName),
    publishedDate: readString(edition.publish_date),
    pageCount: readCount(edition.number_of_pages, { positive: true }),
    language: firstOf(edition.languages, (language) => {
      const key = readString(asRecord(language)?.key)
      return key === undefined ? undefined : toIso6391(key)
    }),
    description: descriptionText(edition.description) ?? descriptionText(work?.description),
    coverUrl: firstOpenLibraryCoverUrl(edition.covers) ?? firstOpenLibraryCoverUrl(work?.covers)
  }, `Open Library edition ${readString(edition.key) ?? ''}`.trim())
}

/**
 * `/works/{W}/ratings.json` → reviews section. Open Library has star ratings but no review texts,
 * so `items` is always empty. A work nobody rated is `not_found`: an average of 0 would read as
 * "rated zero stars", which is not what the data says.
 */
export function mapOpenLibraryRatings(body: unknown): MappingResult<ReviewsSection> {
  const record = asRecord(body)
  if (record === undefined) return invalidResponse('Open Library ratings are not a JSON object')
  if (isNotFoundDocument(record)) return notFound('Open Library has no ratings for this work (an edition id, or an unknown work)')
  const summary = asRecord(record.summary)
  if (summary === undefined) return invalidResponse('Open Library ratings have no summary')
  const count = readCount(summary.count)
  if (count === undefined) return invalidResponse('Open Library ratings summary has no count')
  if (count === 0) return notFound('Open Library has no ratings for this work yet')
  const average = readFiniteNumber(summary.average)
  if (average === undefined || average < 1 || average > 5) {
    return invalidResponse(`Open Library ratings average ${String(summary.average)} is not on the 1–5 scale`)
  }
  return mapped({ averageRating: average, ratingsCount: count, items: [] })
}

/** `{"error": "notfound", "key": …}`: how Open Library's JSON endpoints say "no such record". */
export function isNotFoundDocument(record: JsonRecord): boolean {
  return record.error === 'notfound'
}

/** Editions list publishers as strings; the `/api/books` form as `{name}`. */
function publisherName(entry: unknown): string | undefined {
  return readString(entry) ?? readString(asRecord(entry)?.name)
}

function keyOf(entry: unknown, prefix: string): string | undefined {
  const key = readString(asRecord(entry)?.key)
  return key?.startsWith(prefix) ? key : undefined
}
