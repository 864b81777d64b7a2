import { hash } from 'node:crypto'
import type { BookView } from '../domain/book-view.js'
import { isFailure, type SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'

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
export function cacheHeadersFor(view: BookView, outcomes: SourceOutcomes): CacheHeaders {
  // Each section is identified by the digest of the upstream answer it came from (computed
  // once, when it was fetched); only sections without one are serialized here.
  // One-shot hashing of one string: a Hash object per answer cost more than the hashing.
  let identity = view.isbn
  for (const name of SOURCE_NAMES) {
    const { status, digest } = outcomes[name]
    identity += `|${name}:${status}:${digest ?? JSON.stringify(view[name])}`
  }
  const etag = `"${hash('sha1', identity, 'base64url')}"`
  return { etag, cacheControl: cacheControlFor(outcomes) }
}

function cacheControlFor(outcomes: SourceOutcomes): string {
  const included = SOURCE_NAMES.map((name) => outcomes[name]).filter((o) => o.status !== 'skipped')
  if (included.some((o) => isFailure(o.status))) return 'no-store'
  const fresh = included.map((o) => o.freshForMs)
  // Without a cache (or without any section), there is no TTL to promise: clients revalidate.
  if (fresh.length === 0) return 'no-cache'
  // Without a cache there is no TTL to promise: clients revalidate with the ETag.
  if (fresh.some((ms) => ms === undefined)) return 'no-cache'
  return `public, max-age=${Math.floor(Math.min(...(fresh as number[])) / 1000)}`
}

/** RFC 9110 §13.1.2: `*` or any listed tag, compared weakly (a W/ prefix does not matter). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare)
}
