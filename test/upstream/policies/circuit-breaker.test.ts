import { describe, expect, it } from 'vitest'
import type { FetchResult } from '../../../src/domain/outcome.js'
import {
  CircuitBreaker, isUpstreamFailure, verdictOf, type BreakerState, type CallVerdict, type CircuitBreakerOptions
} from '../../../src/upstream/policies/circuit-breaker.js'
import { ok, upstreamError } from './helpers.js'

// How the breaker treats a caller that timed out (a failure) or left (neutral) is decided by
// the upstream flight, which records those verdicts: see upstream-flight.test.ts.

const HALF_OPEN_AFTER_MS = 100

/** A breaker on a clock the test moves by hand, so half-open and the rolling window need no sleeping. */
function breakerWith(overrides: Partial<CircuitBreakerOptions> = {}): { breaker: CircuitBreaker; clock: { now: number } } {
  const clock = { now: 0 }
  const breaker = new CircuitBreaker({
    consecutiveFailures: 3,
    failureRate: 0.5,
    windowMs: 1000,
    minCalls: 1000, // keeps the failure-rate path out of the way unless a test wants it
    halfOpenAfterMs: HALF_OPEN_AFTER_MS,
    ...overrides
  }, () => clock.now)
  return { breaker, clock }
}

/** One call as a flight makes it: admitted or not, and if admitted, ended with `result`. */
function call(breaker: CircuitBreaker, result: FetchResult): boolean {
  if (!breaker.admit()) return false
  breaker.record(verdictOf(result))
  return true
}

function openIt(breaker: CircuitBreaker): void {
  for (let i = 0; i < 3; i++) call(breaker, upstreamError(503))
  expect(breaker.state).toBe('open')
}

const invalid: FetchResult = { status: 'invalid_response', detail: 'bad JSON' }

describe('isUpstreamFailure', () => {
  it.each<[FetchResult, boolean]>([
    [upstreamError(), true],
    [upstreamError(500), true],
    [upstreamError(404), true],
    [invalid, true],
    [ok(), false],
    [{ status: 'not_found' }, false],
    [{ status: 'overloaded', detail: 'full' }, false],
    [{ status: 'circuit_open', detail: 'open' }, false]
  ])('%j → %s', (result, expected) => {
    expect(isUpstreamFailure(result)).toBe(expected)
  })
})

describe('verdictOf', () => {
  it.each<[FetchResult, CallVerdict]>([
    [upstreamError(503), 'failure'],
    [upstreamError(), 'failure'],
    [invalid, 'failure'],
    [ok(), 'success'],
    [{ status: 'not_found' }, 'success'],
    // Our own overload and our own refusal say nothing about the upstream.
    [{ status: 'overloaded', detail: 'full' }, 'neutral'],
    [{ status: 'circuit_open', detail: 'open' }, 'neutral']
  ])('%j → %s', (result, verdict) => {
    expect(verdictOf(result)).toBe(verdict)
  })
})

describe('CircuitBreaker', () => {
  it('stays closed below the consecutive failure threshold, admitting every call', () => {
    const { breaker } = breakerWith()
    expect(call(breaker, upstreamError(503))).toBe(true)
    expect(call(breaker, upstreamError(503))).toBe(true)
    expect(breaker.state).toBe('closed')
    expect(breaker.admit()).toBe(true)
  })

  it('opens after 3 consecutive failures and then refuses every call at once', () => {
    const { breaker } = breakerWith()
    openIt(breaker)

    const started = performance.now()
    for (let i = 0; i < 200; i++) expect(breaker.admit()).toBe(false)
    // Refusing is a comparison, not a call: generous bound for a loaded machine.
    expect(performance.now() - started).toBeLessThan(200)
    expect(breaker.state).toBe('open')
  })

  it('needs the failures to be consecutive: a success in between resets the count', () => {
    const { breaker } = breakerWith()
    call(breaker, upstreamError())
    call(breaker, upstreamError())
    call(breaker, ok())
    call(breaker, upstreamError())
    call(breaker, upstreamError())
    expect(breaker.state).toBe('closed')
    call(breaker, upstreamError())
    expect(breaker.state).toBe('open')
  })

  it('counts invalid responses as failures', () => {
    const { breaker } = breakerWith()
    for (let i = 0; i < 3; i++) call(breaker, invalid)
    expect(breaker.state).toBe('open')
  })

  it.each<[string, FetchResult]>([
    ['ok', ok()],
    ['not_found', { status: 'not_found' }],
    ['overloaded', { status: 'overloaded', detail: 'bulkhead full' }]
  ])('does not count %s results as failures', (_name, result) => {
    const { breaker } = breakerWith()
    for (let i = 0; i < 10; i++) expect(call(breaker, result)).toBe(true)
    expect(breaker.state).toBe('closed')
  })

  it('treats neutral ends (a caller that left) as nothing: they neither count as failures nor reset the count', () => {
    const { breaker } = breakerWith()
    for (let i = 0; i < 10; i++) call(breaker, { status: 'overloaded', detail: 'full' })
    expect(breaker.state).toBe('closed')

    call(breaker, upstreamError())
    call(breaker, upstreamError())
    expect(breaker.admit()).toBe(true)
    breaker.record('neutral')
    expect(breaker.state).toBe('closed')
    call(breaker, upstreamError())
    expect(breaker.state).toBe('open')
  })

  it('stays open until halfOpenAfterMs have passed', () => {
    const { breaker, clock } = breakerWith()
    openIt(breaker)
    clock.now += HALF_OPEN_AFTER_MS - 1
    expect(breaker.admit()).toBe(false)
    expect(breaker.state).toBe('open')
  })

  it('lets exactly one probe through after halfOpenAfterMs, and closes when it succeeds', () => {
    const { breaker, clock } = breakerWith()
    openIt(breaker)
    clock.now += HALF_OPEN_AFTER_MS

    expect(breaker.admit()).toBe(true) // the probe
    expect(breaker.state).toBe('half_open')
    // Every other call while the probe is out is refused: one probe, not a stampede.
    for (let i = 0; i < 5; i++) expect(breaker.admit()).toBe(false)
    clock.now += HALF_OPEN_AFTER_MS * 10
    expect(breaker.admit()).toBe(false)
    expect(breaker.state).toBe('half_open')

    breaker.record('success')
    expect(breaker.state).toBe('closed')
    expect(breaker.admit()).toBe(true)
    expect(breaker.admit()).toBe(true)
  })

  it('re-opens when the probe fails, and offers another probe after the same pause', () => {
    const { breaker, clock } = breakerWith()
    openIt(breaker)
    clock.now += HALF_OPEN_AFTER_MS

    expect(call(breaker, upstreamError(503))).toBe(true)
    expect(breaker.state).toBe('open')
    expect(breaker.admit()).toBe(false)

    // The pause starts again from the failed probe.
    clock.now += HALF_OPEN_AFTER_MS - 1
    expect(breaker.admit()).toBe(false)
    clock.now += 1
    expect(call(breaker, ok())).toBe(true)
    expect(breaker.state).toBe('closed')
  })

  it('lets the next call probe when the probe ended neutral (it proved nothing)', () => {
    const { breaker, clock } = breakerWith()
    openIt(breaker)
    clock.now += HALF_OPEN_AFTER_MS

    expect(breaker.admit()).toBe(true)
    breaker.record('neutral')
    expect(breaker.state).toBe('half_open')

    expect(breaker.admit()).toBe(true) // the next probe…
    expect(breaker.admit()).toBe(false) // …and again only one
    breaker.record('success')
    expect(breaker.state).toBe('closed')
  })

  it('needs the full threshold again after closing: the consecutive count was reset by the probe', () => {
    const { breaker, clock } = breakerWith()
    openIt(breaker)
    clock.now += HALF_OPEN_AFTER_MS
    call(breaker, ok())
    expect(breaker.state).toBe('closed')

    call(breaker, upstreamError())
    call(breaker, upstreamError())
    expect(breaker.state).toBe('closed')
    call(breaker, upstreamError())
    expect(breaker.state).toBe('open')
  })

  it('does not let a failure recorded while open prolong the open period', () => {
    const { breaker, clock } = breakerWith()
    expect(breaker.admit()).toBe(true) // a call that went out while closed…
    openIt(breaker)
    clock.now += HALF_OPEN_AFTER_MS - 10
    breaker.record('failure') // …and fails while the circuit is open
    clock.now += 10
    expect(breaker.admit()).toBe(true)
    expect(breaker.state).toBe('half_open')
  })

  it('reports each state change to its listener, once per change', () => {
    const { breaker, clock } = breakerWith()
    const seen: BreakerState[] = []
    breaker.onStateChange((state) => seen.push(state))

    openIt(breaker)
    breaker.admit() // refused: still open, nothing to report
    clock.now += HALF_OPEN_AFTER_MS
    call(breaker, upstreamError()) // probe fails
    clock.now += HALF_OPEN_AFTER_MS
    call(breaker, ok()) // probe succeeds
    call(breaker, ok())

    expect(seen).toEqual(['open', 'half_open', 'open', 'half_open', 'closed'])
  })

  describe('failure-rate path', () => {
    const rateBreaker = (overrides: Partial<CircuitBreakerOptions> = {}): { breaker: CircuitBreaker; clock: { now: number } } => breakerWith({
      consecutiveFailures: 100,
      failureRate: 0.5,
      windowMs: 1000,
      minCalls: 10,
      ...overrides
    })

    it('opens when more than failureRate of the calls in the window fail (alternating, failure first)', () => {
      const { breaker } = rateBreaker()
      let openedAt: number | undefined
      for (let i = 0; i < 30 && openedAt === undefined; i++) {
        call(breaker, i % 2 === 0 ? upstreamError(503) : ok())
        if (breaker.state === 'open') openedAt = i
      }
      // The 11th call: 6 failures of 11 > 50 %, with ≥ 10 calls (after 9 calls there were too few).
      expect(openedAt).toBe(10)
      expect(breaker.admit()).toBe(false)
    })

    it('does not open while the window has seen fewer than minCalls calls', () => {
      const { breaker } = rateBreaker()
      for (let i = 0; i < 9; i++) call(breaker, upstreamError())
      expect(breaker.state).toBe('closed')
      call(breaker, upstreamError()) // the 10th call: 100 % failures over minCalls
      expect(breaker.state).toBe('open')
    })

    it('opens only when the failure share strictly exceeds failureRate', () => {
      const { breaker } = rateBreaker()
      // ok first: after every failure exactly half of the calls failed, never more.
      for (let i = 0; i < 30; i++) call(breaker, i % 2 === 0 ? ok() : upstreamError())
      expect(breaker.state).toBe('closed')
      call(breaker, upstreamError()) // 16 of 31 > 50 %
      expect(breaker.state).toBe('open')
    })

    it('stays closed when failures stay below the rate', () => {
      const { breaker } = rateBreaker()
      // One failure in three, 60 calls.
      for (let i = 0; i < 60; i++) call(breaker, i % 3 === 0 ? upstreamError() : ok())
      expect(breaker.state).toBe('closed')
    })

    it('keeps counting calls made earlier in the window', () => {
      const { breaker, clock } = rateBreaker()
      for (let i = 0; i < 10; i++) call(breaker, ok())
      clock.now += 500
      // 10 failures of 20 calls: exactly half, so still closed.
      for (let i = 0; i < 10; i++) call(breaker, upstreamError())
      expect(breaker.state).toBe('closed')
    })

    it('forgets calls older than the window', () => {
      const { breaker, clock } = rateBreaker()
      for (let i = 0; i < 10; i++) call(breaker, ok())
      clock.now += 1100
      // The successes aged out: 9 failures are too few calls, the 10th makes 100 %.
      for (let i = 0; i < 9; i++) call(breaker, upstreamError())
      expect(breaker.state).toBe('closed')
      call(breaker, upstreamError())
      expect(breaker.state).toBe('open')
    })

    it('forgets old failures too, so they cannot add up with new ones', () => {
      const { breaker, clock } = rateBreaker()
      for (let i = 0; i < 9; i++) call(breaker, upstreamError())
      clock.now += 1100
      for (let i = 0; i < 9; i++) call(breaker, ok())
      call(breaker, upstreamError()) // 1 failure in the 10 calls of the window
      expect(breaker.state).toBe('closed')
    })

    it('starts an empty window when the circuit closes again', () => {
      const { breaker, clock } = rateBreaker()
      for (let i = 0; i < 10; i++) call(breaker, upstreamError())
      expect(breaker.state).toBe('open')
      clock.now += HALF_OPEN_AFTER_MS
      call(breaker, ok())
      expect(breaker.state).toBe('closed')

      call(breaker, upstreamError()) // would be 11 of 11 with the old window
      expect(breaker.state).toBe('closed')
    })

    it('never opens on the rate with failureRate 1 (consecutive failures only)', () => {
      const { breaker } = rateBreaker({ failureRate: 1 })
      for (let i = 0; i < 90; i++) call(breaker, i % 3 === 0 ? ok() : upstreamError())
      expect(breaker.state).toBe('closed')
    })
  })
})
