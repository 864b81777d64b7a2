// Open Library lists → section data: a subject's works → recommendations, search hits → search
// results, and an `/api/books?jscmd=data` batch entry → publisher section.
import { invalidResponse, mapped, notFound, type MappingResult } from './mapping-result.js'
import { asArray, asRecord, firstOf, readCount, readString, readStringList, withoutUndefined } from './json-reading.js'
import { httpsUrl, normalizeAuthorNames, toIsbn13 } from './normalize.js'
import { completePublisherSection } from './publisher-section.js'
import { openLibraryBibkey } from './openlibrary-requests.js'
import type { ProviderRecommendation, ProviderSearchResult, PublisherSection, RecommendationsSection, SearchResults } from './section-types.js'

const SITE = 'https://openlibrary.org'

// Subjects every other book has, or that say how a copy is held rather than what it is about
// (and "20th Century"-like periods): recommending "more Fiction" or "more Large type books" is noise.
const UNHELPFUL_SUBJECTS = /^(fiction|general|juvenile fiction|large type books|accessible book|protected daisy|in library|lending library|open library staff picks|new york times bestseller|nyt:.*|overdrive|reading level-.*|\d+.*)$/i

/** The work's subjects worth asking `/subjects/{slug}.json` for, in the order the work lists them. */
export function openLibraryRecommendationSubjects(work: unknown, max = 3): string[] {
  return readStringList(asRecord(work)?.subjects).filter((subject) => !UNHELPFUL_SUBJECTS.test(subject)).slice(0, max)
}

export interface RecommendationOptions {
  /** Work keys not to recommend: the book itself first of all. */
  readonly excludeWorkKeys?: readonly string[]
  readonly limit?: number
}

/**
 * `/subjects/{slug}.json` → recommendations. Subject works carry no ISBN (a work has many
 * editions), so items have `key` and `url` and no `isbn`; `cover_edition_key` names an edition,
 * not an ISBN, and is not one. A subject with no works is `not_found`.
 */
export function mapOpenLibrarySubjectRecommendations(body: unknown, options: RecommendationOptions = {}): MappingResult<RecommendationsSection> {
  const record = asRecord(body)
  if (record === undefined || !Array.isArray(record.works)) return invalidResponse('Open Library subject has no works list')
  const excluded = new Set(options.excludeWorkKeys ?? [])
  const items: ProviderRecommendation[] = []
  for (const entry of record.works) {
    const work = asRecord(entry)
    const key = readString(work?.key)
    const title = readString(work?.title)
    if (key === undefined || !key.startsWith('/works/') || title === undefined || excluded.has(key)) continue
    excluded.add(key) // each work once
    items.push({ key, url: `${SITE}${key}`, title, authors: normalizeAuthorNames(asArray(work?.authors).map((a) => asRecord(a)?.name)) })
    if (items.length === options.limit) break
  }
  if (items.length === 0) return notFound(`Open Library subject "${readString(record.name) ?? '?'}" has no other works`)
  return mapped({ items })
}

/** `/search.json` → search results. No hits is an empty list, not `not_found`: the search did run. */
export function mapOpenLibrarySearch(body: unknown): MappingResult<SearchResults> {
  const record = asRecord(body)
  if (record === undefined || !Array.isArray(record.docs)) return invalidResponse('Open Library search answer has no docs list')
  const results = record.docs.flatMap((entry): ProviderSearchResult[] => {
    const doc = asRecord(entry)
    const key = readString(doc?.key)
    const title = readString(doc?.title)
    if (doc === undefined || key === undefined || title === undefined) return []
    const year = readCount(doc.first_publish_year)
    return [withoutUndefined({
      // `isbn` lists every edition's ISBNs, both forms mixed; any of them finds the work again.
      isbn: firstOf(doc.isbn, toIsbn13),
      key,
      url: `${SITE}${key}`,
      title,
      authors: normalizeAuthorNames(asArray(doc.author_name)),
      publisher: firstOf(doc.publisher, readString),
      publishedDate: year === undefined ? undefined : String(year)
    })]
  })
  return mapped({ results })
}

/**
 * One entry of an `/api/books?bibkeys=…&jscmd=data&format=json` answer → publisher section,
 * without description and language (this form has neither). `isbn` must be spelled as it was
 * sent: the answer is keyed by the bibkeys as given, and a missing one is simply absent.
 */
export function mapOpenLibraryBooksApiEntry(body: unknown, isbn: string): MappingResult<PublisherSection> {
  const record = asRecord(body)
  if (record === undefined) return invalidResponse('Open Library /api/books answer is not a JSON object')
  const entry = asRecord(record[openLibraryBibkey(isbn)])
  if (entry === undefined) return notFound(`Open Library /api/books has no entry for ISBN ${isbn}`)
  const cover = asRecord(entry.cover)
  return completePublisherSection({
    title: readString(entry.title),
    subtitle: readString(entry.subtitle),
    authors: normalizeAuthorNames(asArray(entry.authors).map((author) => asRecord(author)?.name)),
    publisher: firstOf(entry.publishers, (p) => readString(asRecord(p)?.name)),
    publishedDate: readString(entry.publish_date),
    pageCount: readCount(entry.number_of_pages, { positive: true }),
    coverUrl: httpsUrl(cover?.large) ?? httpsUrl(cover?.medium)
  }, `Open Library /api/books entry for ISBN ${isbn}`)
}
