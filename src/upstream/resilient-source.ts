import {
  BrokenCircuitError, bulkhead, BulkheadRejectedError, TaskCancelledError,
  type BulkheadPolicy, type CircuitBreakerPolicy
} from 'cockatiel'
import type { BookSource } from '../aggregate/call-source.js'
import { NO_OBSERVER, type UpstreamObserver } from '../domain/observer.js'
import type { FetchResult } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { breakerStateName, createCircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './policies/circuit-breaker.js'
import { Coalescer } from './policies/coalescer.js'
import { Hedger, type HedgeOptions } from './policies/hedge.js'
import { LatencyTracker } from './policies/latency-tracker.js'
import { withRetry, type RetryOptions } from './policies/retry.js'
import type { UpstreamClient } from './upstream-client.js'

export interface ResiliencePolicies {
  readonly maxConcurrency: number
  readonly maxQueue: number
  readonly breaker: CircuitBreakerOptions
  readonly retry: RetryOptions
  readonly hedge: HedgeOptions
}

/** The little logging the policies do: circuit state changes. */
export interface PolicyLogger {
  warn(fields: object, message: string): void
}

// A retry is only worth sending if the deadline leaves at least this much for it.
const MIN_ATTEMPT_MS = 20

/**
 * One upstream behind its policies, outermost first: coalescing (one call per ISBN in
 * flight) → circuit breaker → retry → hedging → bulkhead (every request, hedges and retries
 * included, takes a slot) → the HTTP client.
 */
export class ResilientSource implements BookSource {
  private readonly coalescer = new Coalescer<string, FetchResult>()
  private readonly breaker: CircuitBreakerPolicy
  private readonly bulkhead: BulkheadPolicy
  private readonly latency = new LatencyTracker()
  private readonly hedger: Hedger

  constructor(
    private readonly client: UpstreamClient,
    private readonly policies: ResiliencePolicies,
    private readonly log: PolicyLogger,
    private readonly observer: UpstreamObserver = NO_OBSERVER
  ) {
    this.breaker = createCircuitBreaker(policies.breaker)
    this.breaker.onStateChange((state) => {
      this.log.warn({ source: this.name, circuit: breakerStateName(state) }, `${this.name} circuit ${breakerStateName(state)}`)
    })
    this.bulkhead = bulkhead(policies.maxConcurrency, policies.maxQueue)
    this.hedger = new Hedger(this.latency, policies.hedge, {
      sent: () => observer.hedgeSent(this.name),
      won: () => observer.hedgeWon(this.name),
      skippedBusy: () => observer.hedgeSkippedBusy(this.name)
    })
  }

  get name(): SourceName {
    return this.client.source
  }

  get circuitState(): BreakerState {
    return breakerStateName(this.breaker.state)
  }

  /** Requests holding a bulkhead slot right now. */
  get inFlight(): number {
    return this.policies.maxConcurrency - this.bulkhead.executionSlots
  }

  get queued(): number {
    return this.policies.maxQueue - this.bulkhead.queueSlots
  }

  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    return this.execute(`book:${isbn13}`, signal, deadlineAt, (s) => this.client.fetchBook(isbn13, s, trace))
  }

  /** Search goes through the same policies as books (only the publisher API serves it). */
  search(query: string, limit: number, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    return this.execute(`search:${limit}:${query}`, signal, deadlineAt, (s) => this.client.search(query, limit, s, trace))
  }

  private async execute(
    key: string, signal: AbortSignal, deadlineAt: number, send: (signal: AbortSignal) => Promise<FetchResult>
  ): Promise<FetchResult> {
    const { value, shared, joined } = await this.coalescer.run(key, signal, (sharedSignal) => this.guarded(send, sharedSignal, deadlineAt))
    if (joined) this.observer.coalesced(this.name)
    return shared ? { ...value, coalesced: true } : value
  }

  private async guarded(send: (signal: AbortSignal) => Promise<FetchResult>, signal: AbortSignal, deadlineAt: number): Promise<FetchResult> {
    try {
      const result = await this.breaker.execute(() => withRetry(
        () => this.hedger.run((attemptSignal) => this.request(send, attemptSignal), signal, () => this.bulkhead.executionSlots > 0),
        this.policies.retry,
        { signal, deadlineAt, expectedAttemptMs: Math.max(MIN_ATTEMPT_MS, this.latency.p95() ?? 0) }
      ), signal)
      if (result.retried === true) this.observer.retried(this.name)
      return result
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        return { status: 'circuit_open', detail: `${this.name} circuit is open after repeated failures; not called` }
      }
      throw error
    }
  }

  private async request(send: (signal: AbortSignal) => Promise<FetchResult>, signal: AbortSignal): Promise<FetchResult> {
    try {
      return await this.bulkhead.execute(async ({ signal: slotSignal }) => {
        const started = performance.now()
        try {
          const result = await send(slotSignal)
          const elapsedMs = performance.now() - started
          if (result.status !== 'error') this.latency.record(elapsedMs)
          this.observer.upstreamRequest(this.name, result.status, elapsedMs / 1000)
          return result
        } catch (error) {
          const outcome = (error as Error | undefined)?.name === 'TimeoutError' ? 'timeout' : 'aborted'
          this.observer.upstreamRequest(this.name, outcome, (performance.now() - started) / 1000)
          throw error
        }
      }, signal)
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        return { status: 'overloaded', detail: `${this.name} has ${this.policies.maxConcurrency} calls in flight and ${this.policies.maxQueue} queued` }
      }
      if (error instanceof TaskCancelledError) throw signal.reason
      throw error
    }
  }
}
