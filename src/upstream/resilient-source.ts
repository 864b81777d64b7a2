import type { BookSource } from '../aggregate/call-source.js'
import { NO_OBSERVER, type UpstreamObserver } from '../domain/observer.js'
import type { FetchResult } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import type { BreakerState } from './policies/circuit-breaker.js'
import { MicroBatcher, type MicroBatchOptions } from './micro-batcher.js'
import type { UpstreamClient } from './upstream-client.js'
import { UpstreamHost, type HostHealth, type HostPolicies, type PolicyLogger } from './upstream-host.js'

export type { HostPolicies, PolicyLogger, ResiliencePolicies } from './upstream-host.js'

/**
 * One of our own (native) upstreams: one host serving one section. Its calls go through the
 * host's policies (see UpstreamHost and UpstreamFlight): coalescing per ISBN, the circuit, a
 * bulkhead slot per request (hedges and retries included), one retry, hedges of slow calls.
 * With `batch` (the upstream serves `GET /books?isbn=…`), lookups of different books that
 * arrive together share one request (MicroBatcher).
 */
export class ResilientSource implements BookSource, HostHealth {
  readonly host: UpstreamHost
  private readonly batcher: MicroBatcher | undefined

  constructor(
    private readonly client: UpstreamClient,
    options: HostPolicies,
    log: PolicyLogger,
    observer: UpstreamObserver = NO_OBSERVER,
    batch?: MicroBatchOptions
  ) {
    this.host = new UpstreamHost(client.source, options, log, observer)
    this.batcher = batch === undefined || batch.maxSize < 2 ? undefined : new MicroBatcher(this.host, {
      name: 'books',
      send: (isbn13s, trace, done) => client.sendBooks(isbn13s, trace, done),
      split: (items, isbn13) => client.bookOf(items, isbn13)
    }, batch, observer)
  }

  get name(): SourceName {
    return this.client.source
  }

  get circuitState(): BreakerState {
    return this.host.circuitState
  }

  /** Requests holding a bulkhead slot right now. */
  get inFlight(): number {
    return this.host.inFlight
  }

  get queued(): number {
    return this.host.queued
  }

  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    if (this.batcher !== undefined) return this.batcher.load(isbn13, signal, deadlineAt, trace)
    return this.host.call(`book:${isbn13}`, signal, deadlineAt, (done) => this.client.sendBook(isbn13, trace, done))
  }

  /** Search goes through the same policies as books (only the publisher API serves it). */
  search(query: string, limit: number, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    return this.host.call(`search:${limit}:${query}`, signal, deadlineAt, (done) => this.client.sendSearch(query, limit, trace, done))
  }
}
