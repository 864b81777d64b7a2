import type { BookSource } from '../aggregate/call-source.js'
import { NO_OBSERVER, type UpstreamObserver } from '../domain/observer.js'
import type { FetchResult } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { Bulkhead } from './policies/bulkhead.js'
import { CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './policies/circuit-breaker.js'
import { Hedger, type HedgeOptions } from './policies/hedge.js'
import { LatencyTracker } from './policies/latency-tracker.js'
import type { RetryOptions } from './policies/retry.js'
import type { UpstreamClient } from './upstream-client.js'
import { UpstreamFlight, type FlightPolicies, type Send } from './upstream-flight.js'

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

/**
 * One upstream behind its policies: concurrent callers of the same key share one flight
 * (coalescing), and each flight checks the circuit, takes a bulkhead slot per request
 * (hedges and retries included), retries once and hedges slow calls (see UpstreamFlight).
 */
export class ResilientSource implements BookSource {
  private readonly flights = new Map<string, UpstreamFlight>()
  private readonly policies: FlightPolicies
  private readonly endFlight: (key: string, flight: UpstreamFlight) => void

  constructor(
    private readonly client: UpstreamClient,
    options: ResiliencePolicies,
    log: PolicyLogger,
    observer: UpstreamObserver = NO_OBSERVER
  ) {
    const name = client.source
    const breaker = new CircuitBreaker(options.breaker)
    breaker.onStateChange((state) => log.warn({ source: name, circuit: state }, `${name} circuit ${state}`))
    const latency = new LatencyTracker()
    const hedger = new Hedger(latency, options.hedge, {
      sent: () => observer.hedgeSent(name),
      won: () => observer.hedgeWon(name),
      skippedBusy: () => observer.hedgeSkippedBusy(name)
    })
    this.policies = {
      name, breaker, bulkhead: new Bulkhead(options.maxConcurrency, options.maxQueue), hedger, latency, retry: options.retry, observer
    }
    this.endFlight = (key, flight) => {
      if (this.flights.get(key) === flight) this.flights.delete(key)
    }
  }

  get name(): SourceName {
    return this.client.source
  }

  get circuitState(): BreakerState {
    return this.policies.breaker.state
  }

  /** Requests holding a bulkhead slot right now. */
  get inFlight(): number {
    return this.policies.bulkhead.inFlight
  }

  get queued(): number {
    return this.policies.bulkhead.queued
  }

  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    return this.join(`book:${isbn13}`, signal, deadlineAt, (done) => this.client.sendBook(isbn13, trace, done))
  }

  /** Search goes through the same policies as books (only the publisher API serves it). */
  search(query: string, limit: number, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    return this.join(`search:${limit}:${query}`, signal, deadlineAt, (done) => this.client.sendSearch(query, limit, trace, done))
  }

  private join(key: string, signal: AbortSignal, deadlineAt: number, send: Send): Promise<FetchResult> {
    if (signal.aborted) return Promise.reject(signal.reason as Error)
    const running = this.flights.get(key)
    if (running !== undefined) return running.join(signal)
    const flight = new UpstreamFlight(this.policies, send, deadlineAt, (ended) => this.endFlight(key, ended))
    this.flights.set(key, flight)
    const answer = flight.join(signal)
    flight.start()
    return answer
  }
}
