// Hardcover as a provider (GraphQL, bearer token): publisher info from the edition, ratings
// with review texts from the book, and recommendations as other books by the same first
// author (Hardcover's schema has no recommendations field; see hardcover-search-mapping.ts).
import type { BookSource } from '../../aggregate/call-source.js'
import type { SearchSource } from '../../aggregate/search-books.js'
import { normalizeIsbn } from '../../domain/isbn.js'
import type { FetchResult } from '../../domain/outcome.js'
import type { TraceContext } from '../../tracing/trace-context.js'
import type { ProviderClient } from '../provider-client.js'
import { mapHardcoverBook, mapHardcoverPublisher, mapHardcoverReviews, type HardcoverBook } from './hardcover-mapping.js'
import { hardcoverEditionsRequest, hardcoverReviewsRequest, hardcoverSearchRequest } from './hardcover-queries.js'
import { hardcoverRecommendationSearchTerm, mapHardcoverRecommendations, mapHardcoverSearch } from './hardcover-search-mapping.js'
import { contractSearchResults, type ProviderSections } from './provider-sections.js'
import { fromMapping, jsonOf, stepFailed, stepOk, type Step } from './provider-results.js'

const AUTHOR_SEARCH_HITS = 20

export function hardcoverSections(client: ProviderClient): ProviderSections {
  /** The editions query, shared by the three sections (the host coalesces it by this key). */
  const editions = async (isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<unknown>> => {
    const isbn = normalizeIsbn(isbn13)
    const pair = { isbn13, isbn10: isbn.ok ? isbn.value.isbn10 : null }
    return jsonOf(await client.post(hardcoverEditionsRequest([pair]), `editions:${isbn13}`, signal, deadlineAt, trace), client.name)
  }
  const book = async (isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<HardcoverBook>> => {
    const body = await editions(isbn13, signal, deadlineAt, trace)
    if (!body.ok) return body
    const found = mapHardcoverBook(body.value, isbn13)
    return found.status === 'ok' ? stepOk(found.data) : stepFailed(found)
  }

  const publisher: BookSource = {
    async fetchBook(isbn13, signal, deadlineAt, trace): Promise<FetchResult> {
      const body = await editions(isbn13, signal, deadlineAt, trace)
      return body.ok ? fromMapping(mapHardcoverPublisher(body.value, isbn13)) : body.result
    }
  }
  const reviews: BookSource = {
    async fetchBook(isbn13, signal, deadlineAt, trace): Promise<FetchResult> {
      const found = await book(isbn13, signal, deadlineAt, trace)
      if (!found.ok) return found.result
      // Nobody rated it: no second query for texts that would not be shown anyway.
      if (found.value.ratingsCount === 0) return fromMapping(mapHardcoverReviews(found.value))
      const body = jsonOf(await client.post(hardcoverReviewsRequest(found.value.id), `reviews:${found.value.id}`, signal, deadlineAt, trace), client.name)
      return body.ok ? fromMapping(mapHardcoverReviews(found.value, body.value)) : body.result
    }
  }
  const recommendations: BookSource = {
    async fetchBook(isbn13, signal, deadlineAt, trace): Promise<FetchResult> {
      const found = await book(isbn13, signal, deadlineAt, trace)
      if (!found.ok) return found.result
      const term = hardcoverRecommendationSearchTerm(found.value)
      if (term === undefined) return { status: 'not_found', detail: `Hardcover book ${found.value.id} names no author to find other books by` }
      const request = hardcoverSearchRequest(term, AUTHOR_SEARCH_HITS)
      const body = jsonOf(await client.post(request, `search:${AUTHOR_SEARCH_HITS}:${term}`, signal, deadlineAt, trace), client.name)
      return body.ok ? fromMapping(mapHardcoverRecommendations(body.value, found.value)) : body.result
    }
  }
  const search: SearchSource = {
    async search(query, limit, signal, deadlineAt, trace): Promise<FetchResult> {
      const body = jsonOf(await client.post(hardcoverSearchRequest(query, limit), `search:${limit}:${query}`, signal, deadlineAt, trace), client.name)
      if (!body.ok) return body.result
      const mapped = mapHardcoverSearch(body.value)
      return mapped.status === 'ok' ? { status: 'ok', data: contractSearchResults(mapped.data) } : mapped
    }
  }
  return { publisher, reviews, recommendations, search, close: () => client.close() }
}
