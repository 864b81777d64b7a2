// Hardcover as a provider (GraphQL, bearer token): publisher info from the edition, ratings
// with review texts from the book, and recommendations as other books by the same first
// author (Hardcover's schema has no recommendations field; see hardcover-search-mapping.ts).
import type { BookSource } from '../../aggregate/call-source.js'
import type { SearchSource } from '../../aggregate/search-books.js'
import { normalizeIsbn } from '../../domain/isbn.js'
import type { FetchResult } from '../../domain/outcome.js'
import type { TraceContext } from '../../tracing/trace-context.js'
import type { MicroBatchOptions } from '../micro-batcher.js'
import type { BatchLoad, ProviderClient } from '../provider-client.js'
import { mapHardcoverBook, mapHardcoverPublisher, mapHardcoverReviews, type HardcoverBook } from './hardcover-mapping.js'
import { hardcoverEditionsRequest, hardcoverReviewsRequest, hardcoverSearchRequest, type IsbnPair } from './hardcover-queries.js'
import { hardcoverRecommendationSearchTerm, mapHardcoverRecommendations, mapHardcoverSearch } from './hardcover-search-mapping.js'
import { contractSearchResults, type ProviderSections } from './provider-sections.js'
import { fromMapping, jsonOf, markBatched, stepFailed, stepOk, type Step } from './provider-results.js'

const AUTHOR_SEARCH_HITS = 20

const pairOf = (isbn13: string): IsbnPair => {
  const isbn = normalizeIsbn(isbn13)
  return { isbn13, isbn10: isbn.ok ? isbn.value.isbn10 : null }
}

/**
 * `batch`: the editions query of concurrent lookups goes out as one (its `_in` lists take many
 * ISBNs), each section reading its own ISBN's edition from the shared answer.
 */
export function hardcoverSections(client: ProviderClient, batch?: MicroBatchOptions): ProviderSections {
  const batched: BatchLoad | undefined = batch === undefined
    ? undefined
    : client.batchLoader('editions', batch, (isbn13s) => ({ method: 'POST', body: hardcoverEditionsRequest(isbn13s.map(pairOf)) }))
  /** The editions query, shared by the three sections (the host coalesces it by this key, or it rides a batch). */
  const editions = async (isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<unknown>> => {
    const reply = batched === undefined
      ? await client.post(hardcoverEditionsRequest([pairOf(isbn13)]), `editions:${isbn13}`, signal, deadlineAt, trace)
      : await batched(isbn13, signal, deadlineAt, trace)
    return jsonOf(reply, client.name)
  }
  const book = async (isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<HardcoverBook>> => {
    const body = await editions(isbn13, signal, deadlineAt, trace)
    if (!body.ok) return body
    const found = mapHardcoverBook(body.value, isbn13)
    return found.status === 'ok' ? stepOk(found.data, body.batched) : stepFailed(markBatched(found, body.batched))
  }

  const publisher: BookSource = {
    async fetchBook(isbn13, signal, deadlineAt, trace): Promise<FetchResult> {
      const body = await editions(isbn13, signal, deadlineAt, trace)
      return body.ok ? markBatched(fromMapping(mapHardcoverPublisher(body.value, isbn13)), body.batched) : body.result
    }
  }
  /** A section read from the book's edition, marked with the batch its editions query rode on. */
  const bookSection = (fetch: (found: HardcoverBook, signal: AbortSignal, deadlineAt: number, trace?: TraceContext) => Promise<FetchResult>): BookSource => ({
    async fetchBook(isbn13, signal, deadlineAt, trace) {
      const found = await book(isbn13, signal, deadlineAt, trace)
      if (!found.ok) return found.result
      return markBatched(await fetch(found.value, signal, deadlineAt, trace), found.batched)
    }
  })
  const reviews = bookSection(async (found, signal, deadlineAt, trace) => {
    // Nobody rated it: no second query for texts that would not be shown anyway.
    if (found.ratingsCount === 0) return fromMapping(mapHardcoverReviews(found))
    const body = jsonOf(await client.post(hardcoverReviewsRequest(found.id), `reviews:${found.id}`, signal, deadlineAt, trace), client.name)
    return body.ok ? fromMapping(mapHardcoverReviews(found, body.value)) : body.result
  })
  const recommendations = bookSection(async (found, signal, deadlineAt, trace) => {
    const term = hardcoverRecommendationSearchTerm(found)
    if (term === undefined) return { status: 'not_found', detail: `Hardcover book ${found.id} names no author to find other books by` }
    const request = hardcoverSearchRequest(term, AUTHOR_SEARCH_HITS)
    const body = jsonOf(await client.post(request, `search:${AUTHOR_SEARCH_HITS}:${term}`, signal, deadlineAt, trace), client.name)
    return body.ok ? fromMapping(mapHardcoverRecommendations(body.value, found)) : body.result
  })
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
