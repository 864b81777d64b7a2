import type { UpstreamObserver } from '../domain/observer.js'
import type { FetchResult } from '../domain/outcome.js'
import type { ExchangeHandle } from './json-exchange.js'
import type { Bulkhead, BulkheadTicket } from './policies/bulkhead.js'
import { verdictOf, type CircuitBreaker } from './policies/circuit-breaker.js'
import type { Hedger } from './policies/hedge.js'
import type { DueEntry, DueTarget } from './policies/shared-timer.js'
import type { LatencyTracker } from './policies/latency-tracker.js'
import type { RateBudget } from './policies/rate-budget.js'
import { retryDelayMs, type RetryOptions } from './policies/retry.js'

/** One upstream host's policy objects, shared by all its flights. */
export interface FlightPolicies {
  readonly name: string
  readonly breaker: CircuitBreaker
  readonly bulkhead: Bulkhead
  readonly hedger: Hedger
  readonly latency: LatencyTracker
  readonly retry: RetryOptions
  readonly observer: UpstreamObserver
  /** The host's outbound rate budget; none for our own upstreams. */
  readonly budget?: RateBudget
}

/** Sends one request to the upstream; `done` is called once, unless the handle aborts it first. */
export type Send = (done: (result: FetchResult) => void) => ExchangeHandle

interface Attempt {
  handle: ExchangeHandle | undefined
  startedAt: number
  readonly hedge: boolean
  done: boolean
  /** While it holds a bulkhead slot and waits for its rate-budget slot: when that is, and the timer. */
  slotAt?: number
  slotTimer?: NodeJS.Timeout
  /** A loser let finish after the flight ended (see `end`): the timer that aborts it if it does not. */
  drainTimer?: NodeJS.Timeout
}

interface Waiter {
  readonly signal: AbortSignal
  readonly resolve: (result: FetchResult) => void
  readonly reject: (reason: unknown) => void
  readonly leave: () => void
}

// One reason for every aborted loser: building an Error (and its stack) per call is not free.
const HEDGE_LOST = new DOMException('another attempt answered first', 'AbortError')
// A retry is only worth sending if the deadline leaves at least this much for it.
const MIN_ATTEMPT_MS = 20
// A 429 without Retry-After: pause the host this long (providers.md: about a second between calls).
const DEFAULT_PAUSE_MS = 1000

/**
 * One upstream call as one state machine: every caller that wants the same thing waits on
 * it (coalescing), and the policies are synchronous checks and counters around its
 * requests — circuit admission, a bulkhead slot per request, at most one retry inside the
 * deadline, a hedge after the p95 — instead of async wrappers nested one per policy. A call
 * costs one promise per waiter, a place on the host's shared hedge timer, a timer of its own
 * only while a retry is pending, and no AbortController: requests are stopped through undici's
 * own handle. The call is aborted only when its last waiter has left.
 */
export class UpstreamFlight implements DueTarget {
  private readonly waiters: Waiter[] = []
  private readonly live: Attempt[] = []
  /** The retry's timer, while one is scheduled. */
  private timer: NodeJS.Timeout | undefined
  /** The hedge's place on the host's shared timer, while one is armed. */
  private hedgeDue: DueEntry | undefined
  private ticket: BulkheadTicket | undefined
  private settled = false
  /** The breaker epoch this flight was admitted in; undefined when it was not admitted. */
  private admittedIn: number | undefined
  private retried = false
  private hedged = false
  /** Whether any request went out: a call that timed out before one did says nothing about the upstream. */
  private sent = false
  private joined = false
  /** The failure a retry was scheduled for: the answer if the retry cannot be sent after all. */
  private firstFailure: FetchResult | undefined

  constructor(
    private readonly policies: FlightPolicies,
    /** What the host shares it under (coalescing). */
    readonly key: string,
    private readonly send: Send,
    private readonly deadlineAt: number,
    private readonly onEnd: (flight: UpstreamFlight) => void,
    /**
     * The latest its first request may wait for a rate slot (the deadline by default). A call
     * that starts a chain of requests sets it earlier: a chain that cannot start soon would only
     * take the slots that chains already under way need to finish in time.
     */
    private readonly startBy: number = deadlineAt
  ) {}

  /** A caller waits for the answer; its signal aborting makes it leave (rejecting with the reason). */
  join(signal: AbortSignal): Promise<FetchResult> {
    if (this.waiters.length > 0) {
      this.joined = true
      this.policies.observer.coalesced(this.policies.name)
    }
    return new Promise<FetchResult>((resolve, reject) => {
      const waiter: Waiter = { signal, resolve, reject, leave: () => this.leave(waiter) }
      this.waiters.push(waiter)
      // No `{ once: true }`: Node copies an options object on every add, and a signal aborts
      // only once anyway (the listener goes with the caller's signal).
      signal.addEventListener('abort', waiter.leave)
    })
  }

  start(): void {
    if (!this.policies.breaker.admit()) {
      this.finish({ status: 'circuit_open', detail: `${this.policies.name} circuit is open after repeated failures; not called` })
      return
    }
    this.admittedIn = this.policies.breaker.generation
    this.launch(false)
  }

  private launch(hedge: boolean): void {
    const attempt: Attempt = { handle: undefined, startedAt: 0, hedge, done: false }
    this.live.push(attempt)
    // The usual case, a free slot and no rate budget, sends at once: no closure to queue.
    if (this.policies.bulkhead.tryAcquire()) {
      this.slotted(attempt)
      return
    }
    const entered = this.policies.bulkhead.enter(() => {
      this.ticket = undefined
      this.slotted(attempt)
    })
    if (entered === 'full') {
      this.live.splice(this.live.indexOf(attempt), 1)
      const { bulkhead, name } = this.policies
      this.finish({ status: 'overloaded', detail: `${name} has ${bulkhead.capacity} calls in flight and ${bulkhead.maxQueue} queued` })
      return
    }
    if (entered !== 'started') this.ticket = entered
  }

  /** An attempt that holds its bulkhead slot: sent now, or once the rate budget has a slot for it. */
  private slotted(attempt: Attempt): void {
    if (this.policies.budget === undefined || attempt.hedge) this.sendAttempt(attempt)
    else this.awaitSlot(attempt)
  }

  private sendAttempt(attempt: Attempt): void {
    attempt.startedAt = performance.now()
    this.sent = true
    try {
      attempt.handle = this.send((result) => this.answered(attempt, result))
    } catch (error) {
      this.failed(attempt, error)
      return
    }
    // The hedge delay counts from the send: time spent queued for a bulkhead or rate slot
    // says nothing about the upstream, and a hedge armed before it fires at healthy calls.
    if (!attempt.hedge && !this.settled) this.armHedge()
  }

  /**
   * The rate budget, inside the bulkhead slot (so a request waiting for its turn is still
   * counted as in flight): send now, at the booked slot, or settle `rate_limited` when no slot
   * comes before the deadline. A slot that arrives while the host is paused is booked again.
   */
  private awaitSlot(attempt: Attempt): void {
    const budget = this.policies.budget as RateBudget
    // A slot so late that a request of the usual latency could not answer in time is no slot.
    const latest = this.deadlineAt - this.expectedAttemptMs()
    const at = budget.reserve(this.firstFailure === undefined ? Math.min(latest, this.startBy) : latest)
    if (at === undefined) {
      attempt.done = true
      this.live.splice(this.live.indexOf(attempt), 1)
      this.policies.bulkhead.release()
      // A retry that found no slot was never sent: the answer is the first failure, unmarked.
      this.retried = false
      this.finish(this.firstFailure ?? this.rateLimited(budget))
      return
    }
    const waitMs = at - performance.now()
    if (waitMs <= 0) return this.sendAttempt(attempt)
    attempt.slotAt = at
    attempt.slotTimer = setTimeout(() => {
      attempt.slotTimer = undefined
      attempt.slotAt = undefined
      if (this.settled) return
      if (budget.pausedUntil > performance.now()) this.awaitSlot(attempt)
      else this.sendAttempt(attempt)
    }, waitMs)
  }

  private rateLimited(budget: RateBudget): FetchResult {
    const { name } = this.policies
    const pausedMs = Math.round(budget.pausedUntil - performance.now())
    const detail = pausedMs > 0
      ? `${name} asked us to wait (429, Retry-After) for ${Math.ceil(pausedMs / 1000)} s more; not called`
      : `${name} allows ${budget.perWindow} request${budget.perWindow === 1 ? '' : 's'} per ${budget.windowMs / 1000} s and none was free before the deadline; not called`
    return { status: 'rate_limited', detail }
  }

  private armHedge(): void {
    const { hedger } = this.policies
    const delayMs = hedger.arm()
    if (delayMs === undefined) return
    this.hedgeDue = hedger.timer.add(this, performance.now() + delayMs)
  }

  /** The armed hedge's time has come (called by the host's shared hedge timer). */
  due(lateByMs: number): void {
    this.hedgeDue = undefined
    if (this.settled || this.live.length !== 1 || this.ticket !== undefined || this.live[0]?.handle === undefined) return
    // A hedge is one more request against the same budget, and only worth it at once.
    const { budget } = this.policies
    if (budget !== undefined && !budget.available()) return
    if (!this.policies.hedger.fire(lateByMs, this.policies.bulkhead.hasFreeSlot)) return
    budget?.takeNow()
    this.hedged = true
    this.launch(true)
  }

  private cancelHedge(): void {
    if (this.hedgeDue === undefined) return
    this.policies.hedger.timer.cancel(this.hedgeDue)
    this.hedgeDue = undefined
  }

  private answered(attempt: Attempt, result: FetchResult): void {
    attempt.done = true
    const at = this.live.indexOf(attempt)
    if (at !== -1) this.live.splice(at, 1)
    clearTimeout(attempt.drainTimer)
    this.policies.bulkhead.release()
    const elapsedMs = performance.now() - attempt.startedAt
    if (result.status !== 'error') this.policies.latency.record(elapsedMs)
    this.policies.observer.upstreamRequest(this.policies.name, result.status, elapsedMs / 1000)
    // The provider throttles the host, not this call: everyone waits as long as it asked.
    if (result.status === 'rate_limited') this.policies.budget?.pause(result.retryAfterMs ?? DEFAULT_PAUSE_MS)
    if (this.settled) return
    // An error while the other attempt of a hedged pair still runs: that one may do better.
    if (result.status === 'error' && this.live.length > 0) return
    if (result.status === 'error' && !this.retried && this.scheduleRetry(result)) return
    if (attempt.hedge) this.policies.hedger.won()
    this.finish(result)
  }

  /** A request that could not even be sent (a bug, such as an unvalidated path): every waiter learns why. */
  private failed(attempt: Attempt, error: unknown): void {
    attempt.done = true
    this.live.splice(this.live.indexOf(attempt), 1)
    this.policies.bulkhead.release()
    if (this.settled) return
    this.end(HEDGE_LOST, 'neutral')
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.leave)
      waiter.reject(error)
    }
  }

  private scheduleRetry(first: FetchResult): boolean {
    const delayMs = retryDelayMs(first, this.policies.retry, { deadlineAt: this.deadlineAt, expectedAttemptMs: this.expectedAttemptMs() })
    if (delayMs === undefined) return false
    this.cancelHedge()
    this.retried = true
    this.firstFailure = first
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.settled) return
      this.policies.observer.retried(this.policies.name)
      this.launch(false)
    }, delayMs)
    return true
  }

  private finish(result: FetchResult): void {
    this.end(HEDGE_LOST, verdictOf(result))
    const marked = this.retried || this.hedged || this.joined
      ? { ...result, ...(this.retried ? { retried: true } : {}), ...(this.hedged ? { hedged: true } : {}), ...(this.joined ? { coalesced: true } : {}) }
      : result
    for (const waiter of this.waiters) {
      waiter.signal.removeEventListener('abort', waiter.leave)
      waiter.resolve(marked)
    }
    this.waiters.length = 0
  }

  private leave(waiter: Waiter): void {
    this.waiters.splice(this.waiters.indexOf(waiter), 1)
    const reason = waiter.signal.reason as unknown
    waiter.reject(reason)
    if (this.waiters.length > 0 || this.settled) return
    // Nobody waits any more: stop the upstream requests. A timeout says the upstream is slow,
    // unless the time went on waiting for a bulkhead or rate slot and no request was ever sent.
    const timedOut = (reason as Error | undefined)?.name === 'TimeoutError'
    this.end(reason instanceof Error ? reason : new Error('the caller left'), timedOut && this.sent ? 'failure' : 'neutral', timedOut ? 'timeout' : 'aborted')
  }

  /**
   * A request that lost to the other of its pair but went out less than a usual latency ago
   * (typically the hedge, when the primary answered after all) is let finish rather than
   * aborted: an HTTP/1.1 request aborted mid-flight costs its connection, and a new one (a TLS
   * handshake, with a real provider) costs more than reading the answer. It keeps its bulkhead
   * slot until then, and is aborted if it has not answered within twice the usual latency.
   */
  private drain(attempt: Attempt): boolean {
    const expectedMs = this.expectedAttemptMs()
    const ageMs = performance.now() - attempt.startedAt
    if (ageMs >= expectedMs) return false
    attempt.drainTimer = setTimeout(() => {
      if (!attempt.done) this.abort(attempt, HEDGE_LOST, 'aborted')
    }, 2 * expectedMs - ageMs)
    return true
  }

  private abort(attempt: Attempt, reason: Error, outcome: string): void {
    attempt.done = true
    ;(attempt.handle as ExchangeHandle).abort(reason)
    this.policies.bulkhead.release()
    this.policies.observer.upstreamRequest(this.policies.name, outcome, (performance.now() - attempt.startedAt) / 1000)
  }

  /** How long a request usually takes to answer: the upstream's p95, and never less than MIN_ATTEMPT_MS. */
  private expectedAttemptMs(): number {
    return Math.max(MIN_ATTEMPT_MS, this.policies.latency.p95() ?? 0)
  }

  /** Settles the bookkeeping: timers, the queue slot, requests still running, the breaker. */
  private end(abortReason: Error, verdict: 'success' | 'failure' | 'neutral', abortedOutcome = 'aborted'): void {
    this.settled = true
    clearTimeout(this.timer)
    this.cancelHedge()
    if (this.ticket !== undefined) this.policies.bulkhead.leave(this.ticket)
    for (const attempt of this.live.splice(0)) {
      if (attempt.slotTimer !== undefined) {
        // Held a bulkhead slot while waiting for its rate slot: give both back.
        clearTimeout(attempt.slotTimer)
        this.policies.budget?.refund(attempt.slotAt as number)
        this.policies.bulkhead.release()
        continue
      }
      if (attempt.done || attempt.handle === undefined) continue
      if (abortReason === HEDGE_LOST && this.drain(attempt)) continue
      this.abort(attempt, abortReason, abortedOutcome)
    }
    if (this.admittedIn !== undefined) this.policies.breaker.record(verdict, this.admittedIn)
    this.onEnd(this)
  }
}
