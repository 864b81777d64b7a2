// Hardcover `search` answers (a Typesense result inside GraphQL: `search.results.hits[].document`)
// → search results and recommendations.
//
// Recommendations: the official schema (hardcoverapp/hardcover-docs `schema.graphql`) has no
// recommendations field, whatever providers.md's table says; the honest signal available is
// "more by the same author", found by searching for the author's name and keeping the hits
// that list that author, minus the book itself. Typesense matches loosely, hence the filter.
import { readGraphqlData } from './hardcover-graphql.js'
import { invalidResponse, mapped, notFound, type MappingResult } from './mapping-result.js'
import { asArray, asRecord, firstOf, readCount, readString, withoutUndefined } from './json-reading.js'
import { normalizeAuthorNames, toIsbn13 } from './normalize.js'
import type { HardcoverBook } from './hardcover-mapping.js'
import type { ProviderSearchResult, RecommendationsSection, SearchResults } from './section-types.js'

/** The search term for `hardcoverSearchRequest` that finds recommendations for `book`. */
export function hardcoverRecommendationSearchTerm(book: HardcoverBook): string | undefined {
  return book.authors[0]
}

export function mapHardcoverSearch(body: unknown): MappingResult<SearchResults> {
  const hits = readSearchHits(body)
  return hits.status === 'ok' ? mapped({ results: hits.data }) : hits
}

export function mapHardcoverRecommendations(body: unknown, book: HardcoverBook, limit = 10): MappingResult<RecommendationsSection> {
  const hits = readSearchHits(body)
  if (hits.status !== 'ok') return hits
  const author = hardcoverRecommendationSearchTerm(book)?.toLowerCase()
  const ownKey = bookKey(book.id)
  const items = hits.data
    .filter((hit) => hit.key !== ownKey && (author === undefined || hit.authors.some((name) => name.toLowerCase() === author)))
    .slice(0, limit)
    .map(({ isbn, key, url, title, authors }) => withoutUndefined({ isbn, key, url, title, authors }))
  return items.length === 0 ? notFound(`Hardcover found no other books by the author of book ${book.id}`) : mapped({ items })
}

function readSearchHits(body: unknown): MappingResult<ProviderSearchResult[]> {
  const data = readGraphqlData(body)
  if (data.status !== 'ok') return data
  const results = asRecord(asRecord(data.data.search)?.results)
  if (results === undefined || !Array.isArray(results.hits)) return invalidResponse('Hardcover search answer has no hits list')
  return mapped(results.hits.flatMap((hit): ProviderSearchResult[] => {
    const document = asRecord(asRecord(hit)?.document)
    // Typesense sends the id as a string ("510077"), GraphQL elsewhere as a number.
    const id = readCount(Number(document?.id), { positive: true })
    const slug = readString(document?.slug)
    const title = readString(document?.title)
    if (document === undefined || id === undefined || slug === undefined || title === undefined) return []
    return [withoutUndefined({
      isbn: firstOf(document.isbns, toIsbn13),
      key: bookKey(id),
      url: `https://hardcover.app/books/${encodeURIComponent(slug)}`,
      title,
      authors: normalizeAuthorNames(asArray(document.author_names)),
      publishedDate: readString(document.release_date) ?? readCount(document.release_year)?.toString()
    })]
  }))
}

function bookKey(id: number): string {
  return `hardcover:book:${id}`
}
