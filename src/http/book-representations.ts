import { LRUCache } from 'lru-cache'
import type { SourceReports } from '../domain/book-view.js'
import type { SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'

/** A `GET /books/{isbn}` answer ready to send again: body and the headers that describe it. */
export interface BookRepresentation {
  readonly body: string
  readonly etag: string
  readonly serverTiming: string
  /** For the request's log line. */
  readonly reports: SourceReports
  /** Epoch ms when its shortest-lived section stops being fresh. */
  readonly freshUntil: number
}

/**
 * Complete answers made only of fresh cache hits, kept serialized. While every section would
 * still be a fresh hit, the answer is the same bytes every time, so it is sent again as is:
 * no section is parsed, no view built, serialized or hashed. It lives exactly as long as its
 * shortest-lived section stays fresh; after that the request takes the normal path, where
 * stale-while-revalidate and the rest apply.
 */
export class BookRepresentations {
  private readonly lru: LRUCache<string, BookRepresentation>

  constructor(maxBytes: number, private readonly onHit: (source: SourceName) => void = () => undefined) {
    this.lru = new LRUCache<string, BookRepresentation>({
      maxSize: maxBytes,
      sizeCalculation: (entry, key) => key.length + entry.body.length + entry.serverTiming.length + 256
    })
  }

  get size(): number {
    return this.lru.size
  }

  get(isbn13: string, include: ReadonlySet<SourceName>, now = Date.now()): BookRepresentation | undefined {
    // Under fresh books only (a crawl, a miss-only load) nothing is ever kept: no key to build.
    if (this.lru.size === 0) return undefined
    const key = keyOf(isbn13, include)
    const stored = this.lru.get(key)
    if (stored === undefined) return undefined
    if (stored.freshUntil <= now) {
      this.lru.delete(key)
      return undefined
    }
    // Each section was, in effect, a cache hit: the cache metrics say so.
    for (const name of SOURCE_NAMES) if (include.has(name)) this.onHit(name)
    return stored
  }

  /** Keeps the answer if every included section was a fresh cache hit; ignores it otherwise. */
  offer(isbn13: string, include: ReadonlySet<SourceName>, outcomes: SourceOutcomes, answer: Omit<BookRepresentation, 'freshUntil'>, now?: number): void {
    let freshForMs = Infinity
    for (const name of SOURCE_NAMES) {
      if (!include.has(name)) continue
      const { cache, freshForMs: sectionFreshForMs } = outcomes[name]
      if (cache !== 'hit' || sectionFreshForMs === undefined) return
      freshForMs = Math.min(freshForMs, sectionFreshForMs)
    }
    if (!(freshForMs > 0 && freshForMs < Infinity)) return
    // The clock only here: on a miss (the answer to keep nothing) it is not read.
    this.lru.set(keyOf(isbn13, include), { ...answer, freshUntil: (now ?? Date.now()) + freshForMs })
  }
}

function keyOf(isbn13: string, include: ReadonlySet<SourceName>): string {
  let key = isbn13
  for (const name of SOURCE_NAMES) if (include.has(name)) key += `:${name}`
  return key
}
