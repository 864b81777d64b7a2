import { NO_OBSERVER, type UpstreamObserver } from '../domain/observer.js'
import type { FetchResult } from '../domain/outcome.js'
import { Bulkhead } from './policies/bulkhead.js'
import { CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './policies/circuit-breaker.js'
import { Hedger, type HedgeOptions } from './policies/hedge.js'
import { LatencyTracker } from './policies/latency-tracker.js'
import { RateBudget } from './policies/rate-budget.js'
import type { RetryOptions } from './policies/retry.js'
import { UpstreamFlight, type FlightPolicies, type Send } from './upstream-flight.js'

export interface ResiliencePolicies {
  readonly maxConcurrency: number
  readonly maxQueue: number
  readonly breaker: CircuitBreakerOptions
  readonly retry: RetryOptions
  readonly hedge: HedgeOptions
}

export interface HostPolicies extends ResiliencePolicies {
  /** Outbound requests per second to this host (fractions allowed); unset = no budget (our own upstreams). */
  readonly maxRps?: number
}

/** The little logging the policies do: circuit state changes. */
export interface PolicyLogger {
  warn(fields: object, message: string): void
}

/** What readiness and the gauges read of a host (or of the hosts behind a section). */
export interface HostHealth {
  readonly circuitState: BreakerState
  readonly inFlight: number
  readonly queued: number
}

/**
 * One upstream host behind its policies. The breaker, bulkhead, hedger, latency window and
 * rate budget belong to the host, not to a section: a provider that serves three sections
 * has one limit for all of them, and its trouble is one trouble. Concurrent calls with the
 * same key share one flight (coalescing), whichever section asked.
 */
export class UpstreamHost implements HostHealth {
  private readonly flights = new Map<string, UpstreamFlight>()
  private readonly policies: FlightPolicies
  // One function for every flight's end, not a closure per call.
  private readonly forget = (ended: UpstreamFlight): void => {
    if (this.flights.get(ended.key) === ended) this.flights.delete(ended.key)
  }

  constructor(readonly name: string, options: HostPolicies, log: PolicyLogger, readonly observer: UpstreamObserver = NO_OBSERVER) {
    const breaker = new CircuitBreaker(options.breaker)
    breaker.onStateChange((state) => log.warn({ source: name, circuit: state }, `${name} circuit ${state}`))
    const latency = new LatencyTracker()
    const hedger = new Hedger(latency, options.hedge, {
      sent: () => observer.hedgeSent(name),
      won: () => observer.hedgeWon(name),
      skippedBusy: () => observer.hedgeSkippedBusy(name)
    })
    this.policies = {
      name,
      breaker,
      bulkhead: new Bulkhead(options.maxConcurrency, options.maxQueue),
      hedger,
      latency,
      retry: options.retry,
      observer,
      ...(options.maxRps === undefined ? {} : { budget: RateBudget.perSecond(options.maxRps) })
    }
  }

  get circuitState(): BreakerState {
    return this.policies.breaker.state
  }

  /** Requests holding a bulkhead slot right now (waiting for a rate slot included). */
  get inFlight(): number {
    return this.policies.bulkhead.inFlight
  }

  get queued(): number {
    return this.policies.bulkhead.queued
  }

  /**
   * One call: joins the flight already running for `key`, or starts one that sends with
   * `send`. `deadlineAt` (a `performance.now()` time) bounds retries and rate-budget waits;
   * `startBy`, when earlier, bounds the wait for the first request's rate slot.
   */
  call(key: string, signal: AbortSignal, deadlineAt: number, send: Send, startBy = deadlineAt): Promise<FetchResult> {
    if (signal.aborted) return Promise.reject(signal.reason as Error)
    const running = this.flights.get(key)
    if (running !== undefined) return running.join(signal)
    const flight = new UpstreamFlight(this.policies, key, send, deadlineAt, this.forget, startBy)
    this.flights.set(key, flight)
    const answer = flight.join(signal)
    flight.start()
    return answer
  }
}
