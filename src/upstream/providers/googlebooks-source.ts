// Google Books as a provider: publisher info and ratings, both from one `/volumes?q=isbn:`
// call (the two sections' concurrent calls are one request: the host coalesces equal paths).
// No recommendations: `volumes/{id}/associated` is undocumented. No search adapter either.
import type { BookSource } from '../../aggregate/call-source.js'
import type { FetchResult } from '../../domain/outcome.js'
import type { ProviderClient } from '../provider-client.js'
import { googleVolumesPath, mapGooglePublisher, mapGoogleReviews } from './googlebooks-mapping.js'
import type { MappingResult } from './mapping-result.js'
import type { ProviderSections } from './provider-sections.js'
import { fromMapping, jsonOf, withoutReviewTexts } from './provider-results.js'

export function googleBooksSections(client: ProviderClient): ProviderSections {
  const section = (map: (body: unknown, isbn13: string) => MappingResult<unknown>): BookSource => ({
    async fetchBook(isbn13, signal, deadlineAt, trace): Promise<FetchResult> {
      // The key is added by the client: it is not part of the path (nor of any detail).
      const body = jsonOf(await client.get(googleVolumesPath(isbn13), signal, deadlineAt, trace), client.name)
      // A volume that is another book (a related edition) is dropped by the mapping: not_found, with a detail.
      return body.ok ? fromMapping(map(body.value, isbn13)) : body.result
    }
  })
  const ratings = section(mapGoogleReviews)
  const reviews: BookSource = {
    fetchBook: (isbn13, signal, deadlineAt, trace) => ratings.fetchBook(isbn13, signal, deadlineAt, trace).then(withoutReviewTexts)
  }
  return { publisher: section(mapGooglePublisher), reviews, close: () => client.close() }
}
