import { LRUCache } from 'lru-cache'
import type { FetchResult, SourceOutcome } from '../domain/outcome.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { callWithTimeout } from './call-source.js'

/** What can run a search: the publisher's resilient source, or a fake in tests. */
export interface SearchSource {
  search(query: string, limit: number, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult>
}

export interface SearchOptions {
  readonly source: SearchSource
  readonly timeoutMs: number
  /** 0 disables caching of search results. */
  readonly cacheTtlMs: number
}

/**
 * Title/author search through the publisher API, under the publisher's timeout and policies,
 * with a short-lived cache: a search box fires the same queries again and again.
 */
export class BookSearch {
  private readonly cache: LRUCache<string, SourceOutcome> | undefined

  constructor(private readonly options: SearchOptions) {
    this.cache = options.cacheTtlMs > 0 ? new LRUCache({ max: 1000, ttl: options.cacheTtlMs }) : undefined
  }

  async search(query: string, limit: number, signal: AbortSignal, trace?: TraceContext): Promise<SourceOutcome> {
    const key = `${limit}:${query}`
    const cached = this.cache?.get(key)
    if (cached !== undefined) return { ...cached, durationMs: 0, cache: 'hit' }
    const outcome = await callWithTimeout({
      name: 'publisher search',
      timeoutMs: this.options.timeoutMs,
      signal,
      call: (callSignal, deadlineAt) => this.options.source.search(query, limit, callSignal, deadlineAt, trace)
    })
    if (outcome.status === 'ok') this.cache?.set(key, outcome)
    return this.cache === undefined ? outcome : { ...outcome, cache: 'miss' }
  }
}
