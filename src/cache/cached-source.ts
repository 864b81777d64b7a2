import type { BookSource } from '../aggregate/call-source.js'
import { NO_OBSERVER, type UpstreamObserver } from '../domain/observer.js'
import type { CacheState, FetchResult } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import { prefixedHasher } from '../domain/string-hash.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { freshnessOf, remainingTtlMs, retentionMs, type CacheEntry, type CacheWindows } from './cache-entry.js'
import type { CacheStore } from './cache-store.js'

export interface CachedSourceOptions extends CacheWindows {
  readonly name: SourceName
  /** What keys start with; the section's name by default. Providers' entries add the provider: `openlibrary:reviews`. */
  readonly keyPrefix?: string
  readonly ttlMs: number
  readonly notFoundTtlMs: number
  /** Budget of a background refresh (nobody waits for it, so it needs its own). */
  readonly refreshTimeoutMs: number
}

/** What a peek found for a key (`entry`), kept for the fetch that follows it. */
interface Peeked {
  key: string
  hash: number
  entry: CacheEntry | undefined
}

// A stale value is served this long before the caller's deadline, so it wins the race.
const STALE_MARGIN_MS = 10

/**
 * A source behind a cache of its answers: fresh hits never reach the upstream; expired
 * entries are served while a background refresh runs (stale-while-revalidate), and older
 * ones stand in when the upstream fails (stale-if-error). Errors are never cached.
 */
export class CachedSource implements BookSource {
  private readonly refreshing = new Set<string>()
  private readonly prefix: string
  /** A key's hash from the ISBN alone: the key's string is then only read on a write or a hash match. */
  private readonly hashOf: (isbn13: string) => number
  // One slot, reused: a peek's miss is fetched right after it (see rememberPeek).
  private readonly peeked: Peeked & { isbn13: string | undefined; version: number } =
    { isbn13: undefined, key: '', hash: 0, entry: undefined, version: -1 }

  constructor(
    private readonly inner: BookSource,
    private readonly store: CacheStore,
    private readonly options: CachedSourceOptions,
    private readonly observer: UpstreamObserver = NO_OBSERVER
  ) {
    this.prefix = options.keyPrefix ?? options.name
    this.hashOf = prefixedHasher(`${this.prefix}:`)
  }

  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    return this.lookUp(this.takePeeked(isbn13), isbn13, signal, deadlineAt, trace)
  }

  fetchBookThen(
    isbn13: string, signal: AbortSignal, deadlineAt: number, trace: TraceContext | undefined,
    settle: (result: FetchResult) => void, fail: () => void
  ): void {
    const peeked = this.takePeeked(isbn13)
    if (peeked === undefined || peeked.entry !== undefined) {
      this.lookUp(peeked, isbn13, signal, deadlineAt, trace).then(settle, fail)
      return
    }
    // A miss the peek has just found, all a load of fresh books ever does: the upstream's
    // promise is then the only one, as without the cache.
    this.observer.cache(this.options.name, 'miss')
    const { key, hash } = peeked
    this.inner.fetchBook(isbn13, signal, deadlineAt, trace).then((result) => {
      let kept: FetchResult
      try {
        kept = this.kept(key, hash, result, true)
      } catch {
        // Data JSON cannot carry: a failure of this section, as through fetchBook, not an unhandled rejection.
        fail()
        return
      }
      settle(kept)
    }, fail)
  }

  private lookUp(
    peeked: Peeked | undefined, isbn13: string, signal: AbortSignal, deadlineAt: number, trace: TraceContext | undefined
  ): Promise<FetchResult> {
    if (peeked !== undefined) return this.answer(peeked.key, peeked.hash, isbn13, peeked.entry, signal, deadlineAt, trace)
    const key = `${this.prefix}:${isbn13}`
    const hash = this.hashOf(isbn13)
    const entry = this.store.peek?.(key, hash)
    // Memory answers at once; only a shared tier behind it costs a round trip (and a promise).
    if (entry !== undefined || this.store.peekIsComplete === true) return this.answer(key, hash, isbn13, entry, signal, deadlineAt, trace)
    return this.store.get(key).then((stored) => this.answer(key, hash, isbn13, stored, signal, deadlineAt, trace))
  }

  peekFresh(isbn13: string): FetchResult | undefined {
    const key = `${this.prefix}:${isbn13}`
    const hash = this.hashOf(isbn13)
    const entry = this.store.peek?.(key, hash)
    if (entry === undefined || freshnessOf(entry, this.options) !== 'fresh') {
      this.rememberPeek(isbn13, key, hash, entry)
      return undefined
    }
    this.observer.cache(this.options.name, 'hit')
    return fromEntry(entry, 'hit')
  }

  /**
   * gatherSources peeks at each section, then fetches those that missed, in one synchronous
   * step: the fetch takes what the peek found (and its key and hash) instead of looking again,
   * as long as the store has not been written since.
   */
  private rememberPeek(isbn13: string, key: string, hash: number, entry: CacheEntry | undefined): void {
    const version = this.store.version
    if (version === undefined || (entry === undefined && this.store.peekIsComplete !== true)) return
    this.peeked.isbn13 = isbn13
    this.peeked.key = key
    this.peeked.hash = hash
    this.peeked.entry = entry
    this.peeked.version = version
  }

  private takePeeked(isbn13: string): Peeked | undefined {
    const { peeked } = this
    if (peeked.isbn13 !== isbn13 || peeked.version !== this.store.version) return undefined
    peeked.isbn13 = undefined
    return peeked
  }

  private answer(
    key: string, hash: number, isbn13: string, entry: CacheEntry | undefined, signal: AbortSignal, deadlineAt: number, trace: TraceContext | undefined
  ): Promise<FetchResult> {
    const { name } = this.options
    switch (entry === undefined ? 'expired' : freshnessOf(entry, this.options)) {
      case 'fresh':
        this.observer.cache(name, 'hit')
        return Promise.resolve(fromEntry(entry as CacheEntry, 'hit'))
      case 'revalidate':
        this.observer.cache(name, 'stale')
        this.refreshInBackground(key, hash, isbn13, trace)
        return Promise.resolve(fromEntry(entry as CacheEntry, 'stale'))
      case 'stale-if-error':
        // A miss or a stale answer: known once the upstream has had its chance.
        return this.fetchWithStaleFallback(key, hash, isbn13, signal, deadlineAt, entry as CacheEntry, trace).then((result) => {
          this.observer.cache(name, result.cache ?? 'miss')
          return result
        })
      default:
        this.observer.cache(name, 'miss')
        return this.fetchAndStore(key, hash, isbn13, signal, deadlineAt, trace, entry === undefined)
    }
  }

  /** `absent`: no entry was found under `key` (see CacheStore.set). */
  private fetchAndStore(
    key: string, hash: number, isbn13: string, signal: AbortSignal, deadlineAt: number, trace: TraceContext | undefined, absent = false
  ): Promise<FetchResult> {
    return this.inner.fetchBook(isbn13, signal, deadlineAt, trace).then((result) => this.kept(key, hash, result, absent))
  }

  /** Keeps what the upstream answered (never errors) and marks the result as a miss. */
  private kept(key: string, hash: number, result: FetchResult, absent: boolean): FetchResult {
    if (result.status === 'ok') {
      const { ttlMs } = this.options
      // Serialized once: the cache keeps this text, and the answer splices it in as it is.
      const json = JSON.stringify(result.data)
      this.keep(key, hash, { status: 'ok', json, storedAt: Date.now(), ttlMs }, absent)
      return { ...result, cache: 'miss', freshForMs: ttlMs, json }
    }
    if (result.status === 'not_found') {
      const ttlMs = this.options.notFoundTtlMs
      this.keep(key, hash, { status: 'not_found', storedAt: Date.now(), ttlMs, ...(result.detail === undefined ? {} : { detail: result.detail }) }, absent)
      return { ...result, cache: 'miss', freshForMs: ttlMs }
    }
    return { ...result, cache: 'miss' }
  }

  private keep(key: string, hash: number, entry: CacheEntry, absent: boolean): void {
    // Not awaited: the answer must not wait for a (possibly slow) shared store.
    void this.store.set(key, entry, retentionMs(entry, this.options), absent, hash)
  }

  private async fetchWithStaleFallback(
    key: string, hash: number, isbn13: string, signal: AbortSignal, deadlineAt: number, stale: CacheEntry, trace: TraceContext | undefined
  ): Promise<FetchResult> {
    // Our own signal: once the stale value is served, nobody else would ever stop this call.
    const controller = new AbortController()
    const cancel = (): void => controller.abort(signal.reason)
    signal.addEventListener('abort', cancel, { once: true })
    let timer: NodeJS.Timeout | undefined
    const beforeDeadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineAt - performance.now() - STALE_MARGIN_MS), 'deadline')
    })
    const fetching = this.fetchAndStore(key, hash, isbn13, controller.signal, deadlineAt, trace)
    fetching.catch(() => undefined)
    try {
      const result = await Promise.race([fetching, beforeDeadline])
      if (result !== 'deadline' && (result.status === 'ok' || result.status === 'not_found')) return result
      // Failed, overloaded, circuit open or about to time out: yesterday's data beats none.
      return fromEntry(stale, 'stale')
    } finally {
      clearTimeout(timer)
      signal.removeEventListener('abort', cancel)
      controller.abort(new DOMException('served stale data at the deadline', 'TimeoutError'))
    }
  }

  private refreshInBackground(key: string, hash: number, isbn13: string, trace: TraceContext | undefined): void {
    if (this.refreshing.has(key)) return
    this.refreshing.add(key)
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new DOMException('refresh timed out', 'TimeoutError')), this.options.refreshTimeoutMs)
    timer.unref()
    this.fetchAndStore(key, hash, isbn13, controller.signal, performance.now() + this.options.refreshTimeoutMs, trace)
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer)
        this.refreshing.delete(key)
      })
  }
}

function fromEntry(entry: CacheEntry, cache: CacheState): FetchResult {
  const freshForMs = cache === 'hit' ? remainingTtlMs(entry) : 0
  return entry.status === 'ok'
    ? { status: 'ok', data: JSON.parse(entry.json ?? 'null'), json: entry.json, cache, freshForMs }
    : { status: 'not_found', cache, freshForMs, ...(entry.detail === undefined ? {} : { detail: entry.detail }) }
}
