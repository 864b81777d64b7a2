import { invalidResponse, mapped, type MappingResult } from './mapping-result.js'
import { withoutUndefined } from './json-reading.js'
import { normalizePublishDate } from './publish-date.js'
import type { PublisherSection } from './section-types.js'

/** A publisher section as read from a provider, before the fields the contract requires are checked. */
export interface PublisherDraft {
  title?: string | undefined
  subtitle?: string | undefined
  authors: string[]
  publisher?: string | undefined
  publishedDate?: string | undefined
  pageCount?: number | undefined
  language?: string | undefined
  description?: string | undefined
  coverUrl?: string | undefined
}

/**
 * The contract requires title, publisher and publishedDate (and an author list, which may be
 * empty). We do not invent them: a provider record without one is `invalid_response`, naming
 * what was missing, so the caller can fall back to another provider rather than serve a blank.
 */
export function completePublisherSection(draft: PublisherDraft, what: string): MappingResult<PublisherSection> {
  const { title, publisher, publishedDate } = draft
  const missing = [title === undefined && 'title', publisher === undefined && 'publisher', publishedDate === undefined && 'publish date']
    .filter((name): name is string => name !== false)
  if (title === undefined || publisher === undefined || publishedDate === undefined) {
    return invalidResponse(`${what} has no ${missing.join(', no ')}`)
  }
  return mapped(withoutUndefined({
    title,
    subtitle: draft.subtitle,
    authors: draft.authors,
    publisher,
    ...normalizePublishDate(publishedDate),
    pageCount: draft.pageCount,
    language: draft.language,
    description: draft.description,
    coverUrl: draft.coverUrl
  }))
}
