import {
  circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, SamplingBreaker,
  type CircuitBreakerPolicy, type IBreaker
} from 'cockatiel'
import type { FetchResult } from '../../domain/outcome.js'

export interface CircuitBreakerOptions {
  /** Opens after this many failures in a row… */
  readonly consecutiveFailures: number
  /** …or when more than this share of calls fails within the rolling window (1 = never)… */
  readonly failureRate: number
  readonly windowMs: number
  /** …provided the window saw at least this many calls. */
  readonly minCalls: number
  /** How long the circuit stays open before one probe call is let through. */
  readonly halfOpenAfterMs: number
}

export type BreakerState = 'closed' | 'open' | 'half_open'

/** Opens when any of its breakers says so; every breaker sees every call to keep counting. */
class AnyOfBreaker implements IBreaker {
  constructor(private readonly breakers: readonly IBreaker[]) {}

  get state(): unknown {
    return this.breakers.map((b) => b.state)
  }

  set state(value: unknown) {
    (value as unknown[]).forEach((s, i) => { (this.breakers[i] as IBreaker).state = s })
  }

  success(state: CircuitState): void {
    for (const breaker of this.breakers) breaker.success(state)
  }

  failure(state: CircuitState): boolean {
    return this.breakers.map((breaker) => breaker.failure(state)).some(Boolean)
  }
}

/** A result that says the upstream is unwell (client aborts and overload are not its fault). */
export function isUpstreamFailure(result: FetchResult): boolean {
  return result.status === 'error' || result.status === 'invalid_response'
}

function isTimeout(error: Error): boolean {
  return error.name === 'TimeoutError'
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreakerPolicy {
  const breakers: IBreaker[] = [new ConsecutiveBreaker(options.consecutiveFailures)]
  // A rate of 1 can never be exceeded: it means "consecutive failures only".
  if (options.failureRate < 1) {
    breakers.push(new SamplingBreaker({
      threshold: options.failureRate,
      duration: options.windowMs,
      minimumRps: options.minCalls / (options.windowMs / 1000)
    }))
  }
  const breaker = new AnyOfBreaker(breakers)
  const policy = handleWhen(isTimeout).orWhenResult((result) => isUpstreamFailure(result as FetchResult))
  return circuitBreaker(policy, { halfOpenAfter: options.halfOpenAfterMs, breaker })
}

export function breakerStateName(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Open:
    case CircuitState.Isolated:
      return 'open'
    case CircuitState.HalfOpen:
      return 'half_open'
    default:
      return 'closed'
  }
}
