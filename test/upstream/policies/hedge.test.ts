import { describe, expect, it, vi } from 'vitest'
import { Hedger, type HedgeEvents, type HedgeOptions } from '../../../src/upstream/policies/hedge.js'
import { LatencyTracker } from '../../../src/upstream/policies/latency-tracker.js'
import type { LoopGauge } from '../../../src/upstream/policies/loop-utilization.js'

// The Hedger only decides; the race itself (first answer wins, loser aborted, an error waits
// for the other attempt) is run by the upstream flight: see upstream-flight.test.ts.

/** A tracker whose p95 is `p95Ms` (`samples` equal samples). */
function warmTracker(p95Ms = 10, samples = 100): LatencyTracker {
  const tracker = new LatencyTracker()
  for (let i = 0; i < samples; i++) tracker.record(p95Ms)
  return tracker
}

const options = (overrides: Partial<HedgeOptions> = {}): HedgeOptions => ({
  enabled: true,
  minDelayMs: 20,
  maxRatio: 1, // the budget has its own tests; elsewhere a fresh Hedger may always hedge
  maxLoopLagMs: 30,
  maxLoopUtilization: 0.9,
  ...overrides
})

/** Our event loop as the test wants it, rather than as busy as the test machine happens to be. */
const loopAt = (utilization: number): LoopGauge => ({ utilization: () => utilization })
const IDLE = loopAt(0)

const spyEvents = () => ({ sent: vi.fn(), won: vi.fn(), skippedBusy: vi.fn() }) satisfies HedgeEvents

describe('Hedger.arm', () => {
  it('arms no hedge while the tracker has fewer than 20 samples (no p95 yet)', () => {
    const tracker = warmTracker(10, 19)
    const hedger = new Hedger(tracker, options(), undefined, IDLE)
    expect(hedger.arm()).toBeUndefined()

    tracker.record(10) // the 20th sample makes the p95 usable
    expect(hedger.arm()).toBe(20)
  })

  it('arms the hedge for max(minDelayMs, p95)', () => {
    // p95 (80 ms) above the minimum (20 ms): the p95 rules.
    expect(new Hedger(warmTracker(80), options({ minDelayMs: 20 }), undefined, IDLE).arm()).toBe(80)
    // p95 (10 ms) below the minimum (80 ms): the minimum rules.
    expect(new Hedger(warmTracker(10), options({ minDelayMs: 80 }), undefined, IDLE).arm()).toBe(80)
  })

  it('never arms when disabled', () => {
    const hedger = new Hedger(warmTracker(10), options({ enabled: false }), undefined, IDLE)
    for (let i = 0; i < 10; i++) expect(hedger.arm()).toBeUndefined()
  })

  it('stands aside entirely while our event loop is saturated', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxLoopUtilization: 0.9 }), undefined, loopAt(0.97))
    expect(hedger.arm()).toBeUndefined()
  })

  it('arms below the utilization limit', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxLoopUtilization: 0.9 }), undefined, loopAt(0.85))
    expect(hedger.arm()).toBe(20)
    expect(hedger.fire(0, true)).toBe(true)
  })
})

describe('Hedger.fire', () => {
  it('sends a due hedge on time with a free slot, and reports it sent', () => {
    const events = spyEvents()
    const hedger = new Hedger(warmTracker(10), options(), events, IDLE)
    hedger.arm()
    expect(hedger.fire(0, true)).toBe(true)
    expect(events.sent).toHaveBeenCalledTimes(1)
    expect(events.skippedBusy).not.toHaveBeenCalled()
  })

  it('sends no hedge without a free slot (a hedge never queues), and reports nothing', () => {
    const events = spyEvents()
    const hedger = new Hedger(warmTracker(10), options(), events, IDLE)
    hedger.arm()
    expect(hedger.fire(0, false)).toBe(false)
    expect(events.sent).not.toHaveBeenCalled()
    expect(events.skippedBusy).not.toHaveBeenCalled()
  })

  it('holds back a hedge whose timer fired more than maxLoopLagMs late: our own loop is the bottleneck', () => {
    const events = spyEvents()
    const hedger = new Hedger(warmTracker(10), options({ maxLoopLagMs: 30 }), events, IDLE)
    hedger.arm()
    expect(hedger.fire(31, true)).toBe(false)
    expect(events.skippedBusy).toHaveBeenCalledTimes(1)
    expect(events.sent).not.toHaveBeenCalled()

    hedger.arm()
    expect(hedger.fire(30, true)).toBe(true) // exactly at the limit is still in time
  })

  it('holds a due hedge back when the loop became saturated after the call was armed', () => {
    let utilization = 0.5
    const events = spyEvents()
    const hedger = new Hedger(warmTracker(10), options({ maxLoopUtilization: 0.9 }), events, { utilization: () => utilization })
    expect(hedger.arm()).toBe(20)

    utilization = 0.95
    expect(hedger.fire(0, true)).toBe(false)
    expect(events.skippedBusy).toHaveBeenCalledTimes(1)
    expect(events.sent).not.toHaveBeenCalled()
  })
})

describe('Hedger.won', () => {
  it('reports that the hedge answer was the one used', () => {
    const events = spyEvents()
    new Hedger(warmTracker(10), options(), events, IDLE).won()
    expect(events.won).toHaveBeenCalledTimes(1)
  })
})

describe('Hedger budget', () => {
  it('sends hedges for at most maxRatio of the calls, however many are due at once', () => {
    const events = spyEvents()
    const hedger = new Hedger(warmTracker(10), options({ maxRatio: 0.05 }), events, IDLE)
    // 100 concurrent calls: all armed first, then all their timers fire.
    const armed = Array.from({ length: 100 }, () => hedger.arm()).filter((delay) => delay !== undefined)
    const sent = armed.map(() => hedger.fire(0, true)).filter(Boolean).length

    expect(sent).toBe(5)
    expect(events.sent).toHaveBeenCalledTimes(5)
    // Out of budget is not a busy loop.
    expect(events.skippedBusy).not.toHaveBeenCalled()
  })

  it('keeps to maxRatio over calls made one after another', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxRatio: 0.05 }), undefined, IDLE)
    let sent = 0
    for (let i = 0; i < 100; i++) {
      if (hedger.arm() !== undefined && hedger.fire(0, true)) sent++
    }
    expect(sent).toBeGreaterThan(0)
    expect(sent).toBeLessThanOrEqual(5)
  })

  it('starts with an empty budget: with maxRatio 0.05 a first slow call is not hedged', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxRatio: 0.05 }), undefined, IDLE)
    expect(hedger.arm()).toBeUndefined()
    expect(hedger.fire(0, true)).toBe(false)
  })

  it('never hedges with maxRatio 0', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxRatio: 0 }), undefined, IDLE)
    for (let i = 0; i < 100; i++) {
      expect(hedger.arm()).toBeUndefined()
      expect(hedger.fire(0, true)).toBe(false)
    }
  })

  /** Sends hedges over `calls` calls one after another, each won with probability `winRate` (every `1/winRate`-th). */
  function hedgeOver(hedger: Hedger, calls: number, winRate: number): number {
    let sent = 0
    for (let i = 0; i < calls; i++) {
      if (hedger.arm() === undefined || !hedger.fire(0, true)) continue
      sent++
      if (winRate > 0 && sent % Math.round(1 / winRate) === 0) hedger.won()
    }
    return sent
  }

  it('keeps the whole budget while hedges answer first often enough to pay', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxRatio: 0.05 }), undefined, IDLE)
    const sent = hedgeOver(hedger, 4000, 0.5)
    expect(sent).toBeGreaterThanOrEqual(195)
    expect(sent).toBeLessThanOrEqual(200)
  })

  it('shrinks the budget, down to a tenth, when hedges keep losing: they only added load', () => {
    const hedger = new Hedger(warmTracker(10), options({ maxRatio: 0.05 }), undefined, IDLE)
    // The first 20 hedges go out on the whole budget, then losing ones earn a tenth of it.
    const first = hedgeOver(hedger, 400, 0)
    expect(first).toBe(20)
    const later = hedgeOver(hedger, 3600, 0)
    // 4000 calls × 0.05 × 0.1 = 20 in all: no more until the calls grow.
    expect(later).toBe(0)
    expect(hedgeOver(hedger, 4000, 0)).toBe(20)
  })
})

