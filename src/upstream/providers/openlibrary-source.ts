// Open Library as a provider: the three sections and search through one host (one rate
// budget: about 3 requests per second for an identified client). See openlibrary-requests.ts
// for which endpoint serves what, and openlibrary-work-resolver.ts for the shared lookup.
import type { BookSource } from '../../aggregate/call-source.js'
import type { SearchSource } from '../../aggregate/search-books.js'
import type { FetchResult } from '../../domain/outcome.js'
import type { TraceContext } from '../../tracing/trace-context.js'
import type { MicroBatchOptions } from '../micro-batcher.js'
import type { ProviderClient } from '../provider-client.js'
import { openLibraryRecommendationSubjects, mapOpenLibrarySearch, mapOpenLibrarySubjectRecommendations } from './openlibrary-lists.js'
import { mapOpenLibraryPublisher, mapOpenLibraryRatings, openLibraryAuthorKeys, openLibraryAuthorName } from './openlibrary-mapping.js'
import { openLibraryAuthorPath, openLibraryBooksApiPath, openLibraryRatingsPath, openLibrarySearchPath, openLibrarySubjectPath } from './openlibrary-requests.js'
import { OpenLibraryWorkResolver, type ResolvedWork } from './openlibrary-work-resolver.js'
import { contractSearchResults, type ProviderSections } from './provider-sections.js'
import { fromMapping, jsonOf, markBatched, withoutReviewTexts } from './provider-results.js'

// Enough for the byline; a record listing more is usually an anthology's contributors.
const MAX_AUTHORS = 5
// Subjects tried in turn until one has other works: each costs a request from the budget.
const MAX_SUBJECTS = 2
const SUBJECT_WORKS = 12
const RECOMMENDATIONS = 10

/**
 * `batch`: ISBNs are resolved to their edition records (with the authors' names) in batches
 * through `/api/books?jscmd=details`; each book's work, ratings and subjects stay one request
 * each, since Open Library has no batch form for them (see openlibrary-requests.ts).
 */
export function openLibrarySections(client: ProviderClient, batch?: MicroBatchOptions): ProviderSections {
  const booksApi = batch === undefined
    ? undefined
    : client.batchLoader('books', batch, (isbns) => ({ method: 'GET', path: openLibraryBooksApiPath(isbns, 'details') }))
  const resolver = new OpenLibraryWorkResolver(client, undefined, booksApi)
  /** A section read from the book's resolved edition and work, marked with the batch its lookup rode on. */
  const section = (fetch: ResolvedSection): BookSource => ({
    async fetchBook(isbn13, signal, deadlineAt, trace) {
      const resolved = await resolver.resolve(isbn13, signal, deadlineAt, trace)
      if (!resolved.ok) return resolved.result
      return markBatched(await fetch({ client, resolved: resolved.value, isbn13, signal, deadlineAt, trace }), resolved.value.batched)
    }
  })
  const publisher = section(fetchPublisher)
  const reviews = section(fetchRatings)
  const recommendations = section(fetchRecommendations)
  const search: SearchSource = {
    async search(query, limit, signal, deadlineAt, trace) {
      const body = jsonOf(await client.get(openLibrarySearchPath(query, limit), signal, deadlineAt, trace), client.name)
      if (!body.ok) return body.result
      const mapped = mapOpenLibrarySearch(body.value)
      return mapped.status === 'ok' ? { status: 'ok', data: contractSearchResults(mapped.data) } : mapped
    }
  }
  return { publisher, reviews, recommendations, search, close: () => client.close() }
}

interface SectionCall {
  readonly client: ProviderClient
  readonly resolved: ResolvedWork
  readonly isbn13: string
  readonly signal: AbortSignal
  readonly deadlineAt: number
  readonly trace: TraceContext | undefined
}

type ResolvedSection = (call: SectionCall) => Promise<FetchResult>

/** Edition + work (shared), and the authors' names: from the batch entry, else one request each (editions carry only keys). */
async function fetchPublisher({ client, resolved, signal, deadlineAt, trace }: SectionCall): Promise<FetchResult> {
  const { edition, work } = resolved
  let authorNames = resolved.authorNames?.slice(0, MAX_AUTHORS) ?? []
  if (authorNames.length === 0) {
    const keys = openLibraryAuthorKeys(edition, work).slice(0, MAX_AUTHORS)
    const replies = await Promise.all(keys.map((key) => client.get(openLibraryAuthorPath(key), signal, deadlineAt, trace)))
    authorNames = []
    for (const reply of replies) {
      if (reply.status === 'not_found') continue
      const body = jsonOf(reply, client.name)
      // A byline with a name missing would be cached for a day: better no section now.
      if (!body.ok) return body.result
      const name = openLibraryAuthorName(body.value)
      if (name !== undefined) authorNames.push(name)
    }
  }
  return fromMapping(mapOpenLibraryPublisher({ edition, work, authorNames }))
}

/** Ratings belong to the work: an edition id answers "notfound". No review texts exist. */
async function fetchRatings({ client, resolved: { workKey }, isbn13, signal, deadlineAt, trace }: SectionCall): Promise<FetchResult> {
  if (workKey === undefined) return { status: 'not_found', detail: `Open Library edition of ISBN ${isbn13} belongs to no work, and ratings are kept per work` }
  const reply = await client.get(openLibraryRatingsPath(workKey), signal, deadlineAt, trace)
  if (reply.status === 'not_found') return { status: 'not_found', detail: `Open Library has no ratings for ${workKey}` }
  const body = jsonOf(reply, client.name)
  return body.ok ? withoutReviewTexts(fromMapping(mapOpenLibraryRatings(body.value))) : body.result
}

/** Other works of the work's first telling subjects; they are works, so items have a key and a link, no ISBN. */
async function fetchRecommendations({ client, resolved: { work, workKey }, isbn13, signal, deadlineAt, trace }: SectionCall): Promise<FetchResult> {
  const subjects = openLibraryRecommendationSubjects(work, MAX_SUBJECTS)
  if (subjects.length === 0) return { status: 'not_found', detail: `Open Library lists no subjects for the work of ISBN ${isbn13}` }
  let result: FetchResult = { status: 'not_found', detail: `Open Library subjects of ISBN ${isbn13} have no other works` }
  for (const subject of subjects) {
    const body = jsonOf(await client.get(openLibrarySubjectPath(subject, SUBJECT_WORKS), signal, deadlineAt, trace), client.name)
    if (!body.ok) return body.result
    result = fromMapping(mapOpenLibrarySubjectRecommendations(body.value, {
      excludeWorkKeys: workKey === undefined ? [] : [workKey],
      limit: RECOMMENDATIONS
    }))
    if (result.status !== 'not_found') return result
  }
  return result
}
