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

/** How a call ended, for the breaker: neutral ends (a client that left, overload) say nothing about the upstream. */
export type CallVerdict = 'success' | 'failure' | 'neutral'

/** A result that says the upstream is unwell (client aborts and overload are not its fault). */
export function isUpstreamFailure(result: FetchResult): boolean {
  return result.status === 'error' || result.status === 'invalid_response'
}

export function verdictOf(result: FetchResult): CallVerdict {
  if (isUpstreamFailure(result)) return 'failure'
  return result.status === 'ok' || result.status === 'not_found' ? 'success' : 'neutral'
}

// The rolling window is kept as this many buckets, so old calls age out without a list of calls.
const BUCKETS = 10

/**
 * A circuit breaker as synchronous admission and accounting around a call, not a wrapper
 * that owns it: `admit()` before dispatch, `record()` when it ends. Half-open lets exactly
 * one probe through; its verdict closes or re-opens the circuit.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed'
  private consecutive = 0
  private openedAt = 0
  private probing = false
  private readonly calls = new Uint32Array(BUCKETS)
  private readonly failures = new Uint32Array(BUCKETS)
  private bucketStart = 0
  private bucket = 0
  private listener: ((state: BreakerState) => void) | undefined
  private epoch = 0

  constructor(private readonly options: CircuitBreakerOptions, private readonly now: () => number = performance.now.bind(performance)) {}

  get state(): BreakerState {
    return this.current
  }

  /**
   * Changes with every state change. A call keeps the epoch it was admitted in, so that a
   * call sent before the circuit opened, ending while the probe runs, is not taken for the probe.
   */
  get generation(): number {
    return this.epoch
  }

  onStateChange(listener: (state: BreakerState) => void): void {
    this.listener = listener
  }

  /**
   * Whether a call may go out now. A `true` in half-open makes that call the probe: its
   * `record()` decides the circuit, and no other call is admitted until then.
   */
  admit(): boolean {
    if (this.current === 'closed') return true
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.halfOpenAfterMs) return false
      this.moveTo('half_open')
    }
    if (this.probing) return false
    this.probing = true
    return true
  }

  /** The end of a call admitted in epoch `admittedIn`; calls of an earlier state say nothing now. */
  record(verdict: CallVerdict, admittedIn = this.epoch): void {
    if (admittedIn !== this.epoch) return
    if (this.current === 'half_open') {
      if (!this.probing) return
      this.probing = false
      if (verdict === 'success') this.close()
      else if (verdict === 'failure') this.open()
      // A neutral probe proved nothing: the next call probes again.
      return
    }
    if (this.current !== 'closed' || verdict === 'neutral') return
    this.count(verdict === 'failure')
    if (verdict === 'success') {
      this.consecutive = 0
      return
    }
    this.consecutive++
    if (this.consecutive >= this.options.consecutiveFailures || this.rateExceeded()) this.open()
  }

  private open(): void {
    this.openedAt = this.now()
    this.moveTo('open')
  }

  private close(): void {
    this.consecutive = 0
    this.calls.fill(0)
    this.failures.fill(0)
    this.moveTo('closed')
  }

  private moveTo(state: BreakerState): void {
    if (state === this.current) return
    this.current = state
    this.epoch++
    this.listener?.(state)
  }

  private count(failed: boolean): void {
    if (this.options.failureRate >= 1) return
    const bucketMs = this.options.windowMs / BUCKETS
    const now = this.now()
    // Buckets older than the window are emptied as time moves past them.
    const steps = Math.min(BUCKETS, Math.floor((now - this.bucketStart) / bucketMs))
    for (let i = 0; i < steps; i++) {
      this.bucket = (this.bucket + 1) % BUCKETS
      this.calls[this.bucket] = 0
      this.failures[this.bucket] = 0
    }
    if (steps > 0) this.bucketStart = now - ((now - this.bucketStart) % bucketMs)
    this.calls[this.bucket] = (this.calls[this.bucket] as number) + 1
    if (failed) this.failures[this.bucket] = (this.failures[this.bucket] as number) + 1
  }

  private rateExceeded(): boolean {
    if (this.options.failureRate >= 1) return false
    let calls = 0
    let failures = 0
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.calls[i] as number
      failures += this.failures[i] as number
    }
    return calls >= this.options.minCalls && failures / calls > this.options.failureRate
  }
}
