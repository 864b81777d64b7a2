import { describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../../src/domain/outcome.js'
import { Hedger, type HedgeOptions } from '../../../src/upstream/policies/hedge.js'
import { LatencyTracker } from '../../../src/upstream/policies/latency-tracker.js'
import { answerAfter, ok, settle, sleep, upstreamError } from './helpers.js'

/** A tracker whose p95 is `p95Ms` (100 equal samples). */
function warmTracker(p95Ms = 10, samples = 100): LatencyTracker {
  const tracker = new LatencyTracker()
  for (let i = 0; i < samples; i++) tracker.record(p95Ms)
  return tracker
}

const options = (overrides: Partial<HedgeOptions> = {}): HedgeOptions => ({
  enabled: true,
  minDelayMs: 20,
  maxRatio: 1, // the budget has its own tests; elsewhere a fresh Hedger may always hedge
  maxLoopLagMs: 1000, // a loaded test machine is not the busy service that test is about
  maxLoopUtilization: 1,
  ...overrides
})

/**
 * `send` whose n-th request (0 = primary, 1 = hedge) behaves as `plan[n]`; records each
 * request's signal, when it was sent and whether that signal was already aborted then.
 */
function scriptedSend(...plan: Array<(signal: AbortSignal) => Promise<FetchResult>>) {
  const signals: AbortSignal[] = []
  const sentAt: number[] = []
  const abortedWhenSent: boolean[] = []
  const send = vi.fn((signal: AbortSignal): Promise<FetchResult> => {
    const n = signals.push(signal) - 1
    sentAt.push(performance.now())
    abortedWhenSent.push(signal.aborted)
    return plan[Math.min(n, plan.length - 1)]!(signal)
  })
  return { send, signals, sentAt, abortedWhenSent }
}

const canHedge = (): boolean => true
const live = (): AbortSignal => new AbortController().signal

describe('Hedger', () => {
  it('does not hedge while the tracker has fewer than 20 samples', async () => {
    const tracker = warmTracker(10, 19)
    const hedger = new Hedger(tracker, options())
    const slow = scriptedSend(answerAfter(100, ok('primary')), answerAfter(5, ok('hedge')))

    await expect(hedger.run(slow.send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(slow.send).toHaveBeenCalledTimes(1)

    tracker.record(10) // the 20th sample makes the p95 usable
    const again = scriptedSend(answerAfter(100, ok('primary')), answerAfter(5, ok('hedge')))
    await expect(hedger.run(again.send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'hedge', hedged: true })
    expect(again.send).toHaveBeenCalledTimes(2)
  })

  it('sends a hedge when the primary is slower than usual, takes the faster answer and aborts the loser', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send, signals } = scriptedSend(answerAfter(300, ok('primary')), answerAfter(5, ok('hedge')))

    const started = performance.now()
    const result = await hedger.run(send, live(), canHedge)
    const elapsed = performance.now() - started

    expect(result).toEqual({ status: 'ok', data: 'hedge', hedged: true })
    expect(elapsed).toBeLessThan(200)
    expect(send).toHaveBeenCalledTimes(2)
    expect(signals[0]!.aborted).toBe(true)
    expect(signals[0]!.reason).toMatchObject({ name: 'AbortError', message: 'another attempt answered first' })
  })

  it('aborts the hedge when the primary wins after all', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send, signals } = scriptedSend(answerAfter(60, ok('primary')), answerAfter(300, ok('hedge')))

    const started = performance.now()
    await expect(hedger.run(send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'primary', hedged: true })
    expect(performance.now() - started).toBeLessThan(200)
    expect(send).toHaveBeenCalledTimes(2)
    expect(signals[1]!.aborted).toBe(true)
  })

  it('waits max(minDelayMs, p95) before hedging', async () => {
    // p95 (80 ms) above the minimum (20 ms): the p95 rules.
    const byP95 = scriptedSend(answerAfter(300, ok('primary')), answerAfter(5, ok('hedge')))
    await new Hedger(warmTracker(80), options({ minDelayMs: 20 })).run(byP95.send, live(), canHedge)
    expect(byP95.sentAt[1]! - byP95.sentAt[0]!).toBeGreaterThanOrEqual(75)

    // p95 (10 ms) below the minimum (80 ms): the minimum rules.
    const byMin = scriptedSend(answerAfter(300, ok('primary')), answerAfter(5, ok('hedge')))
    await new Hedger(warmTracker(10), options({ minDelayMs: 80 })).run(byMin.send, live(), canHedge)
    expect(byMin.sentAt[1]! - byMin.sentAt[0]!).toBeGreaterThanOrEqual(75)
  })

  it('sends no hedge when the primary answers in time', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send } = scriptedSend(answerAfter(1, ok('primary')))

    const result = await hedger.run(send, live(), canHedge)
    expect(result).toEqual({ status: 'ok', data: 'primary' })
    expect(result).not.toHaveProperty('hedged')
    await sleep(50) // well past the hedge delay: the timer must have been cleared
    expect(send).toHaveBeenCalledTimes(1)
  })

  it('returns a fast primary error as it is, without hedging', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const failure = upstreamError(503)
    const { send } = scriptedSend(answerAfter(1, failure))
    await expect(hedger.run(send, live(), canHedge)).resolves.toBe(failure)
    await sleep(40)
    expect(send).toHaveBeenCalledTimes(1)
  })

  it('sends hedges for at most maxRatio of the calls', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxRatio: 0.05 }))
    let sends = 0
    const call = (): Promise<FetchResult> => {
      let n = 0
      return hedger.run((signal) => {
        sends++
        return (n++ === 0 ? answerAfter(60, ok('primary')) : answerAfter(5, ok('hedge')))(signal)
      }, live(), canHedge)
    }

    const results = await Promise.all(Array.from({ length: 100 }, call))
    const hedges = sends - 100
    expect(hedges).toBeGreaterThan(0)
    expect(hedges).toBeLessThanOrEqual(5)
    expect(results.filter((r) => r.hedged === true)).toHaveLength(hedges)
  })

  it('starts with an empty budget: with maxRatio 0.05 a first slow call is not hedged', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxRatio: 0.05 }))
    const { send } = scriptedSend(answerAfter(60, ok('primary')), answerAfter(5, ok('hedge')))
    await expect(hedger.run(send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(send).toHaveBeenCalledTimes(1)
  })

  it('never hedges with maxRatio 0', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxRatio: 0 }))
    const { send } = scriptedSend(answerAfter(60, ok('primary')), answerAfter(5, ok('hedge')))
    await hedger.run(send, live(), canHedge)
    expect(send).toHaveBeenCalledTimes(1)
  })

  it('sends no hedge when canHedge says there is no capacity', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send } = scriptedSend(answerAfter(80, ok('primary')), answerAfter(5, ok('hedge')))
    const noCapacity = vi.fn(() => false)

    await expect(hedger.run(send, live(), noCapacity)).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(noCapacity).toHaveBeenCalledTimes(1) // asked when the hedge delay passed…
    expect(send).toHaveBeenCalledTimes(1) // …and honoured
  })

  it('sends no hedge when its timer fires late because our own event loop is busy', async () => {
    const skippedBusy = vi.fn()
    const events = { sent: vi.fn(), won: vi.fn(), skippedBusy }
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxLoopLagMs: 30 }), events)
    const { send } = scriptedSend(answerAfter(150, ok('primary')), answerAfter(5, ok('hedge')))

    const running = hedger.run(send, live(), canHedge)
    const blockedUntil = performance.now() + 100 // the hedge is due at 20 ms; the loop frees up at 100
    while (performance.now() < blockedUntil) { /* a CPU-bound stretch of our own */ }

    await expect(running).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(send).toHaveBeenCalledTimes(1)
    expect(skippedBusy).toHaveBeenCalledTimes(1)
    expect(events.sent).not.toHaveBeenCalled()
  })

  it('stands aside entirely while our event loop is saturated: the caller signal goes straight to send', async () => {
    const busyLoop = { utilization: () => 0.97 }
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxLoopUtilization: 0.9 }), undefined, busyLoop)
    const caller = live()
    const { send, signals } = scriptedSend(answerAfter(80, ok('primary')), answerAfter(5, ok('hedge')))

    await expect(hedger.run(send, caller, canHedge)).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(send).toHaveBeenCalledTimes(1)
    expect(signals[0]).toBe(caller) // no controller of its own: nothing was set up for a hedge
  })

  it('holds a due hedge back when the loop became saturated after the call started', async () => {
    let utilization = 0.5
    const events = { sent: vi.fn(), won: vi.fn(), skippedBusy: vi.fn() }
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxLoopUtilization: 0.9 }), events, { utilization: () => utilization })
    const { send } = scriptedSend(answerAfter(80, ok('primary')), answerAfter(5, ok('hedge')))

    const running = hedger.run(send, live(), canHedge)
    utilization = 0.95
    await expect(running).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(send).toHaveBeenCalledTimes(1)
    expect(events.skippedBusy).toHaveBeenCalledTimes(1)
    expect(events.sent).not.toHaveBeenCalled()
  })

  it('hedges below the utilization limit', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20, maxLoopUtilization: 0.9 }), undefined, { utilization: () => 0.85 })
    const { send } = scriptedSend(answerAfter(150, ok('primary')), answerAfter(5, ok('hedge')))

    await expect(hedger.run(send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'hedge', hedged: true })
    expect(send).toHaveBeenCalledTimes(2)
  })

  it('never hedges when disabled, and hands the caller signal straight to send', async () => {
    const hedger = new Hedger(warmTracker(10), options({ enabled: false, minDelayMs: 20 }))
    const { send, signals } = scriptedSend(answerAfter(80, ok('primary')), answerAfter(5, ok('hedge')))
    const signal = live()

    await expect(hedger.run(send, signal, canHedge)).resolves.toEqual({ status: 'ok', data: 'primary' })
    expect(send).toHaveBeenCalledTimes(1)
    expect(signals[0]).toBe(signal)
  })

  it('waits for the hedge when the primary answers with an error after the hedge was sent', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    // Hedge sent at ≈ 20 ms; the primary fails at ≈ 40 ms; the hedge answers at ≈ 100 ms.
    const { send, signals } = scriptedSend(answerAfter(40, upstreamError(503)), answerAfter(80, ok('hedge')))

    const started = performance.now()
    await expect(hedger.run(send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'hedge', hedged: true })
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    expect(send).toHaveBeenCalledTimes(2)
    expect(signals[1]!.aborted).toBe(false) // it answered: nothing left to abort
  })

  it('waits for the primary when the hedge answers with an error first', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send } = scriptedSend(answerAfter(100, ok('primary')), answerAfter(5, upstreamError()))

    await expect(hedger.run(send, live(), canHedge)).resolves.toEqual({ status: 'ok', data: 'primary', hedged: true })
    expect(send).toHaveBeenCalledTimes(2)
  })

  it('returns the later error when both attempts fail', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send } = scriptedSend(answerAfter(40, upstreamError(502)), answerAfter(40, upstreamError(504)))

    await expect(hedger.run(send, live(), canHedge)).resolves.toEqual({ ...upstreamError(504), hedged: true })
  })

  it('rejects and aborts both attempts when the caller signal aborts', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send, signals } = scriptedSend(answerAfter(300, ok('primary')), answerAfter(300, ok('hedge')))
    const caller = new AbortController()
    const reason = new Error('client left')
    setTimeout(() => caller.abort(reason), 60) // after the hedge went out at ≈ 20 ms

    const started = performance.now()
    await expect(hedger.run(send, caller.signal, canHedge)).rejects.toBe(reason)
    expect(performance.now() - started).toBeLessThan(200)
    expect(send).toHaveBeenCalledTimes(2)
    expect(signals[0]!.reason).toBe(reason)
    expect(signals[1]!.reason).toBe(reason)
  })

  it('rejects when the primary rejects before any hedge', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const failure = new Error('socket hang up')
    const send = vi.fn(async (): Promise<FetchResult> => { throw failure })
    await expect(hedger.run(send, live(), canHedge)).rejects.toBe(failure)
    await sleep(40)
    expect(send).toHaveBeenCalledTimes(1)
  })

  // Bug: `launch` only listens for a *future* abort of the caller signal. When the caller
  // signal is already aborted (e.g. the coalesced work starts after its only waiter left in
  // the same tick), every attempt gets a fresh, live signal and the upstream is called anyway.
  it('passes an already aborted caller signal on to the attempts', async () => {
    const hedger = new Hedger(warmTracker(10), options({ minDelayMs: 20 }))
    const { send, abortedWhenSent } = scriptedSend(answerAfter(50, ok('primary')), answerAfter(50, ok('hedge')))
    const caller = new AbortController()
    const reason = new Error('client left')
    caller.abort(reason)

    const outcome = await settle(hedger.run(send, caller.signal, canHedge))
    expect(abortedWhenSent.length).toBeGreaterThan(0)
    expect(abortedWhenSent.every(Boolean)).toBe(true) // no request may go out with a live signal
    expect(outcome).toEqual({ error: reason })
  })
})
