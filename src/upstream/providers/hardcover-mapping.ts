// Hardcover GraphQL answers → section data. Queries: hardcover-queries.ts; search hits
// (recommendations, search results): hardcover-search-mapping.ts.
import { readGraphqlData } from './hardcover-graphql.js'
import { invalidResponse, mapped, notFound, type MappingResult } from './mapping-result.js'
import { asArray, asRecord, readCount, readRating, readString, withoutUndefined, type JsonRecord } from './json-reading.js'
import { descriptionText, httpsUrl, normalizeAuthorNames, readIsoDate, toIsbn13, toIso6391 } from './normalize.js'
import { completePublisherSection } from './publisher-section.js'
import type { PublisherSection, ReviewItem, ReviewsSection } from './section-types.js'

/** The work an edition belongs to: ratings, reviews and recommendations hang off it, not the edition. */
export interface HardcoverBook {
  readonly id: number
  readonly slug?: string
  readonly rating?: number
  readonly ratingsCount: number
  readonly authors: readonly string[]
}

// Reviews whose author has no username left (deleted accounts) keep their text under this name.
const UNNAMED_READER = 'Hardcover reader'

/** The edition of an `EditionsByIsbn` answer whose isbn_13 or isbn_10 is `isbn` (compared as ISBN-13). */
export function findHardcoverEdition(body: unknown, isbn: string): MappingResult<JsonRecord> {
  const data = readGraphqlData(body)
  if (data.status !== 'ok') return data
  if (!Array.isArray(data.data.editions)) return invalidResponse('Hardcover answer has no editions list')
  const wanted = toIsbn13(isbn)
  const edition = data.data.editions.map(asRecord).find((candidate) =>
    candidate !== undefined && wanted !== undefined && (toIsbn13(candidate.isbn_13) === wanted || toIsbn13(candidate.isbn_10) === wanted))
  return edition === undefined ? notFound(`Hardcover has no edition with ISBN ${isbn}`) : mapped(edition)
}

/** The edition's book (work), for the reviews and recommendations queries. */
export function mapHardcoverBook(body: unknown, isbn: string): MappingResult<HardcoverBook> {
  const edition = findHardcoverEdition(body, isbn)
  if (edition.status !== 'ok') return edition
  const book = asRecord(edition.data.book)
  const id = readCount(book?.id, { positive: true })
  if (book === undefined || id === undefined) return invalidResponse(`Hardcover edition with ISBN ${isbn} has no book id`)
  return mapped(withoutUndefined({
    id,
    slug: readString(book.slug),
    rating: readRating(book.rating),
    ratingsCount: readCount(book.ratings_count) ?? 0,
    authors: contributorNames(book.cached_contributors, edition.data.cached_contributors)
  }))
}

export function mapHardcoverPublisher(body: unknown, isbn: string): MappingResult<PublisherSection> {
  const found = findHardcoverEdition(body, isbn)
  if (found.status !== 'ok') return found
  const edition = found.data
  const book = asRecord(edition.book)
  const language = asRecord(edition.language)
  const code = readString(language?.code2) ?? readString(language?.code3)
  return completePublisherSection({
    title: readString(edition.title) ?? readString(book?.title),
    subtitle: readString(edition.subtitle),
    authors: contributorNames(book?.cached_contributors, edition.cached_contributors),
    publisher: readString(asRecord(edition.publisher)?.name),
    // The edition's own date only: the book's release_date is the first publication, by another publisher maybe.
    publishedDate: readString(edition.release_date),
    pageCount: readCount(edition.pages, { positive: true }),
    language: code === undefined ? undefined : toIso6391(code),
    description: descriptionText(book?.description),
    coverUrl: httpsUrl(asRecord(edition.image)?.url)
  }, `Hardcover edition ${String(edition.id ?? '')} (ISBN ${isbn})`)
}

/**
 * The book's rating with review texts from a `ReviewsByBook` answer. `reviewsBody` may be
 * left out (not fetched): the section then has the rating and no items. A book nobody rated
 * is `not_found`. Reviews without a rating or text are dropped: the contract needs both.
 */
export function mapHardcoverReviews(book: HardcoverBook, reviewsBody?: unknown): MappingResult<ReviewsSection> {
  if (book.ratingsCount === 0 || book.rating === undefined) return notFound(`Hardcover has no ratings for book ${book.id}`)
  if (reviewsBody === undefined) return mapped({ averageRating: book.rating, ratingsCount: book.ratingsCount, items: [] })
  const data = readGraphqlData(reviewsBody)
  if (data.status !== 'ok') return data
  if (!Array.isArray(data.data.user_books)) return invalidResponse('Hardcover answer has no user_books list')
  const items = data.data.user_books.flatMap((entry): ReviewItem[] => {
    const review = asRecord(entry)
    const rating = readRating(review?.rating)
    const text = readString(review?.review_raw)?.replace(/\r\n?/g, '\n')
    const reviewedAt = readString(review?.reviewed_at)
    const date = reviewedAt === undefined ? undefined : readIsoDate(reviewedAt)
    // A day is what the contract's `date` holds; a timestamp without a zone cannot be placed finer anyway.
    if (rating === undefined || text === undefined || date === undefined || date.length !== 10) return []
    const author = readString(asRecord(review?.user)?.username) ?? UNNAMED_READER
    return [{ author, rating, text, date }]
  })
  return mapped({ averageRating: book.rating, ratingsCount: book.ratingsCount, items })
}

/**
 * Author names from `cached_contributors` (`[{author: {name}, contribution}]`): the book's list
 * first, since an audiobook edition's own list starts with its narrators. A `contribution` of
 * null means "Author"; translators, illustrators and narrators are not authors.
 */
function contributorNames(...lists: unknown[]): string[] {
  for (const list of lists) {
    const names = asArray(list).flatMap((entry) => {
      const contributor = asRecord(entry)
      const role = contributor?.contribution
      return role === null || role === undefined || role === 'Author' ? [asRecord(contributor?.author)?.name] : []
    })
    const authors = normalizeAuthorNames(names)
    if (authors.length > 0) return authors
  }
  return []
}
