import { hash } from 'node:crypto'
import type { BookView } from '../domain/book-view.js'
import { isFailure, type SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'
import { sectionTexts, type SectionTexts } from './book-view-json.js'

export interface CacheHeaders {
  readonly etag: string
  readonly cacheControl: string
}

/**
 * HTTP caching for a BookView. The ETag covers what the book data is (sections and each
 * source's status), not how long fetching it took, so a reload that finds the same data gets
 * a 304. Complete answers may be cached for as long as their shortest-lived section stays
 * fresh; partial answers must not be cached at all, or a blip would stick in browsers.
 */
export function cacheHeadersFor(view: BookView, outcomes: SourceOutcomes, texts: SectionTexts = sectionTexts(view, outcomes)): CacheHeaders {
  // The sections as the body carries them, so the tag changes exactly when the representation's
  // data does; the texts are made for the body anyway. One-shot hashing of one string: a Hash
  // object (or a digest per section) cost more than the hashing.
  let identity = view.isbn
  for (const name of SOURCE_NAMES) identity += `|${name}:${outcomes[name].status}:${texts[name]}`
  const etag = `"${hash('sha1', identity, 'base64url')}"`
  return { etag, cacheControl: cacheControlFor(outcomes) }
}

function cacheControlFor(outcomes: SourceOutcomes): string {
  let freshMs = Infinity
  for (const name of SOURCE_NAMES) {
    const { status, freshForMs } = outcomes[name]
    if (status === 'skipped') continue
    if (isFailure(status)) return 'no-store'
    // Without a cache there is no TTL to promise: clients revalidate with the ETag.
    freshMs = Math.min(freshMs, freshForMs ?? Number.NaN)
  }
  // NaN: a section without a TTL (no cache); Infinity: no section at all. Either way, revalidate.
  if (!Number.isFinite(freshMs)) return 'no-cache'
  return `public, max-age=${Math.floor(freshMs / 1000)}`
}

/** RFC 9110 §13.1.2: `*` or any listed tag, compared weakly (a W/ prefix does not matter). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare)
}
