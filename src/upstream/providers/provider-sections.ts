import type { BookSource } from '../../aggregate/call-source.js'
import type { SearchSource } from '../../aggregate/search-books.js'
import type { SourceName } from '../../domain/sources.js'
import type { ProviderSearchResult, SearchResults } from './section-types.js'

/** What one provider adapter serves: a source per section it can fill, and maybe search. */
export type ProviderSections = Partial<Record<SourceName, BookSource>> & {
  readonly search?: SearchSource
  /** Closes the provider's connection pool. */
  close(): Promise<void>
}

/**
 * Search results as `GET /search` promises them: each with an ISBN (the demo page and clients
 * open a book by it), so hits that are works without one are left out, and only the
 * contract's fields are kept.
 */
export function contractSearchResults(results: SearchResults): { results: Array<Omit<ProviderSearchResult, 'key' | 'url'> & { isbn: string }> } {
  return {
    results: results.results.flatMap(({ isbn, title, authors, publisher, publishedDate }) => isbn === undefined ? [] : [{
      isbn, title, authors,
      ...(publisher === undefined ? {} : { publisher }),
      ...(publishedDate === undefined ? {} : { publishedDate })
    }])
  }
}
