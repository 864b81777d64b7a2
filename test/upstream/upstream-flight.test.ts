import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../src/domain/outcome.js'
import { Bulkhead } from '../../src/upstream/policies/bulkhead.js'
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/upstream/policies/circuit-breaker.js'
import { Hedger, type HedgeOptions } from '../../src/upstream/policies/hedge.js'
import { LatencyTracker } from '../../src/upstream/policies/latency-tracker.js'
import type { LoopGauge } from '../../src/upstream/policies/loop-utilization.js'
import type { RetryOptions } from '../../src/upstream/policies/retry.js'
import { UpstreamFlight, type FlightPolicies, type Send } from '../../src/upstream/upstream-flight.js'
import { ok, settle, upstreamError, watch } from './policies/helpers.js'
import { useFakeFlightClock } from './fake-clock.js'
import { spyObserver } from './spy-observer.js'
import { answerAfter, NEVER, scriptedSend } from './scripted-send.js'

// Keyed coalescing (which callers share a flight) is ResilientSource's: see resilient-source.test.ts.

const NAME = 'publisher'
const HALF_OPEN_AFTER_MS = 100

useFakeFlightClock()

const loopAt = (utilization: number): LoopGauge => ({ utilization: () => utilization })
// The test machine's own load must not decide whether a hedge goes out.
const IDLE_LOOP = loopAt(0)

const live = (): AbortSignal => new AbortController().signal

interface RigOptions {
  readonly capacity?: number
  readonly maxQueue?: number
  readonly breaker?: Partial<CircuitBreakerOptions>
  readonly retry?: Partial<RetryOptions>
  readonly hedge?: Partial<HedgeOptions>
  /** Warms the latency tracker to this p95 (it has no p95 otherwise). */
  readonly p95Ms?: number
  readonly loop?: LoopGauge
}

/**
 * One upstream's policies wired as ResilientSource wires them, with a recording observer.
 * Retries and hedges are off unless a test turns them on, so each test sees only its policy.
 */
function rig(options: RigOptions = {}) {
  const observer = spyObserver()
  const latency = new LatencyTracker()
  if (options.p95Ms !== undefined) for (let i = 0; i < 100; i++) latency.record(options.p95Ms)
  const hedgeOptions: HedgeOptions = { enabled: false, minDelayMs: 20, maxRatio: 1, maxLoopLagMs: 1000, maxLoopUtilization: 1, ...options.hedge }
  const policies: FlightPolicies = {
    name: NAME,
    breaker: new CircuitBreaker({
      consecutiveFailures: 3, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: HALF_OPEN_AFTER_MS, ...options.breaker
    }, () => performance.now()),
    bulkhead: new Bulkhead(options.capacity ?? 4, options.maxQueue ?? 4),
    hedger: new Hedger(latency, hedgeOptions, {
      sent: () => observer.hedgeSent(NAME),
      won: () => observer.hedgeWon(NAME),
      skippedBusy: () => observer.hedgeSkippedBusy(NAME)
    }, options.loop ?? IDLE_LOOP),
    latency,
    retry: { enabled: false, baseDelayMs: 10, ...options.retry },
    observer
  }
  const ended: UpstreamFlight[] = []
  const flight = (send: Send, deadlineMs = 1000): UpstreamFlight =>
    new UpstreamFlight(policies, 'book:9780262033848', send, performance.now() + deadlineMs, (f) => ended.push(f))
  /** A flight with one caller, joined and started as ResilientSource does it. */
  const call = (send: Send, signal = live(), deadlineMs?: number): Promise<FetchResult> => {
    const f = flight(send, deadlineMs)
    const answer = f.join(signal)
    f.start()
    return answer
  }
  return { policies, observer, ended, flight, call }
}

type Rig = ReturnType<typeof rig>

/** What the observer was told of each upstream request, in order. */
const outcomesOf = (r: Rig): string[] => r.observer.upstreamRequest.mock.calls.map((args) => args[1] as string)

async function openCircuit(r: Rig): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const answer = r.call(scriptedSend(answerAfter(1, upstreamError(503))).send)
    await vi.advanceTimersByTimeAsync(1)
    await answer
  }
  expect(r.policies.breaker.state).toBe('open')
}

describe('UpstreamFlight', () => {
  describe('one request', () => {
    it('answers the upstream result as it is, unmarked, and reports the request', async () => {
      const r = rig()
      const upstream = scriptedSend(answerAfter(5, ok('dune')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(5)

      await expect(answer).resolves.toStrictEqual(ok('dune'))
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.upstreamRequest).toHaveBeenCalledWith(NAME, 'ok', 0.005)
      expect(r.observer.coalesced).not.toHaveBeenCalled()
      expect(r.policies.bulkhead.inFlight).toBe(0)
      expect(r.ended).toHaveLength(1)
    })

    it('passes a failure through as it is when there is nothing to retry or hedge', async () => {
      const r = rig()
      const failure = upstreamError(503)
      const answer = r.call(scriptedSend(answerAfter(5, failure)).send)
      await vi.advanceTimersByTimeAsync(5)
      await expect(answer).resolves.toBe(failure)
    })
  })

  describe('hedging', () => {
    // p95 10 ms below the 20 ms minimum: hedges are due 20 ms after the primary.
    const HEDGING: RigOptions = { hedge: { enabled: true, minDelayMs: 20 }, p95Ms: 10 }

    it('sends a hedge when the primary is slower than usual, takes the faster answer and aborts the loser', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(300, ok('primary')), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(25)

      await expect(answer).resolves.toStrictEqual({ ...ok('hedge'), hedged: true })
      expect(upstream.offsets()).toEqual([0, 20])
      expect(upstream.requests[0]!.abortReason).toBeInstanceOf(DOMException)
      expect(upstream.requests[0]!.abortReason).toMatchObject({ name: 'AbortError', message: 'another attempt answered first' })
      expect(upstream.requests[1]!.abortReason).toBeUndefined()
      expect(r.observer.hedgeSent).toHaveBeenCalledWith(NAME)
      expect(r.observer.hedgeWon).toHaveBeenCalledWith(NAME)
      expect(r.observer.upstreamRequest.mock.calls).toEqual([[NAME, 'ok', 0.005], [NAME, 'aborted', 0.025]])
      expect(r.policies.bulkhead.inFlight).toBe(0)
    })

    it('aborts the hedge when the primary wins after all', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(60, ok('primary')), answerAfter(300, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(60)

      await expect(answer).resolves.toStrictEqual({ ...ok('primary'), hedged: true })
      expect(upstream.requests).toHaveLength(2)
      expect(upstream.requests[1]!.abortReason).toMatchObject({ name: 'AbortError' })
      expect(r.observer.hedgeWon).not.toHaveBeenCalled()
    })

    it('lets a losing hedge that went out moments ago finish instead of aborting it, and counts it as it answers', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(22, ok('primary')), answerAfter(10, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(22)

      await expect(answer).resolves.toStrictEqual({ ...ok('primary'), hedged: true })
      // Aborting it would cost its connection; it answers within the usual latency.
      expect(upstream.requests[1]!.abortReason).toBeUndefined()
      expect(r.policies.bulkhead.inFlight).toBe(1)
      await vi.advanceTimersByTimeAsync(8)
      expect(r.policies.bulkhead.inFlight).toBe(0)
      expect(r.observer.upstreamRequest.mock.calls).toEqual([[NAME, 'ok', 0.022], [NAME, 'ok', 0.01]])
      expect(r.observer.hedgeWon).not.toHaveBeenCalled()
    })

    it('aborts a losing hedge it let run once it has taken twice the usual latency', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(22, ok('primary')), answerAfter(300, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(22)
      await expect(answer).resolves.toStrictEqual({ ...ok('primary'), hedged: true })

      // Sent at 20 ms; twice the usual latency (the 20 ms minimum) after that is 60 ms.
      await vi.advanceTimersByTimeAsync(37)
      expect(upstream.requests[1]!.abortReason).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.requests[1]!.abortReason).toMatchObject({ name: 'AbortError', message: 'another attempt answered first' })
      expect(r.policies.bulkhead.inFlight).toBe(0)
      expect(r.observer.upstreamRequest.mock.calls).toEqual([[NAME, 'ok', 0.022], [NAME, 'aborted', 0.04]])
    })

    it.each<[string, number, number]>([
      ['the p95 when it is above the minimum', 80, 20],
      ['the minimum when the p95 is below it', 10, 80]
    ])('waits max(minDelayMs, p95) before hedging: %s', async (_name, p95Ms, minDelayMs) => {
      const r = rig({ hedge: { enabled: true, minDelayMs }, p95Ms })
      const upstream = scriptedSend(answerAfter(300, ok('primary')), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)

      await vi.advanceTimersByTimeAsync(79)
      expect(upstream.requests).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.offsets()).toEqual([0, 80])
      await vi.advanceTimersByTimeAsync(5)
      await expect(answer).resolves.toMatchObject({ data: 'hedge', hedged: true })
    })

    it('sends no hedge when the primary answers in time, and leaves no hedge timer behind', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(1, ok('primary')), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(1)

      await expect(answer).resolves.toStrictEqual(ok('primary'))
      expect(vi.getTimerCount()).toBe(0)
      await vi.advanceTimersByTimeAsync(100)
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.hedgeSent).not.toHaveBeenCalled()
    })

    it('returns a fast primary error as it is, without hedging', async () => {
      const r = rig(HEDGING)
      const failure = upstreamError(503)
      const upstream = scriptedSend(answerAfter(1, failure), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(1)

      await expect(answer).resolves.toBe(failure)
      await vi.advanceTimersByTimeAsync(40)
      expect(upstream.requests).toHaveLength(1)
    })

    it('arms one hedge timer beside the request when a hedge could be sent', () => {
      const r = rig(HEDGING)
      const caller = new AbortController()
      void settle(r.call(scriptedSend(answerAfter(80, ok())).send, caller.signal))
      expect(vi.getTimerCount()).toBe(2) // the upstream's answer, and the hedge
      caller.abort(new Error('done looking'))
    })

    it.each<[string, RigOptions]>([
      ['hedging is disabled', { ...HEDGING, hedge: { enabled: false } }],
      ['the tracker has no p95 yet', { hedge: { enabled: true } }],
      ['our event loop is saturated', { ...HEDGING, hedge: { enabled: true, maxLoopUtilization: 0.9 }, loop: loopAt(0.97) }],
      ['the budget is spent', { ...HEDGING, hedge: { enabled: true, maxRatio: 0 } }]
    ])('sets up nothing for a hedge (no timer) when %s', async (_name, options) => {
      const r = rig(options)
      const upstream = scriptedSend(answerAfter(80, ok('primary')), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)
      expect(vi.getTimerCount()).toBe(1) // only the upstream's own answer

      await vi.advanceTimersByTimeAsync(80)
      await expect(answer).resolves.toStrictEqual(ok('primary'))
      expect(upstream.requests).toHaveLength(1)
    })

    it('waits for the hedge when the primary answers with an error after the hedge was sent', async () => {
      const r = rig(HEDGING)
      // Hedge sent at 20 ms; the primary fails at 40 ms; the hedge answers at 100 ms.
      const upstream = scriptedSend(answerAfter(40, upstreamError(503)), answerAfter(80, ok('hedge')))
      const answer = watch(r.call(upstream.send))

      await vi.advanceTimersByTimeAsync(40)
      expect(answer.settled).toBe(false)
      await vi.advanceTimersByTimeAsync(60)
      await expect(answer.outcome).resolves.toStrictEqual({ value: { ...ok('hedge'), hedged: true } })
      expect(upstream.requests[1]!.abortReason).toBeUndefined() // it answered: nothing left to abort
      expect(outcomesOf(r)).toEqual(['error', 'ok'])
      expect(r.observer.hedgeWon).toHaveBeenCalledTimes(1)
    })

    it('waits for the primary when the hedge answers with an error first', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(100, ok('primary')), answerAfter(5, upstreamError()))
      const answer = watch(r.call(upstream.send))

      await vi.advanceTimersByTimeAsync(25)
      expect(answer.settled).toBe(false)
      await vi.advanceTimersByTimeAsync(75)
      await expect(answer.outcome).resolves.toStrictEqual({ value: { ...ok('primary'), hedged: true } })
      expect(r.observer.hedgeWon).not.toHaveBeenCalled()
    })

    it('returns the later error when both attempts fail', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(40, upstreamError(502)), answerAfter(40, upstreamError(504)))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(60)
      await expect(answer).resolves.toStrictEqual({ ...upstreamError(504), hedged: true })
    })

    it('sends no hedge without a free bulkhead slot (a hedge never queues)', async () => {
      const r = rig({ ...HEDGING, capacity: 1 })
      const upstream = scriptedSend(answerAfter(80, ok('primary')), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(80)

      await expect(answer).resolves.toStrictEqual(ok('primary'))
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.hedgeSent).not.toHaveBeenCalled()
      expect(r.observer.hedgeSkippedBusy).not.toHaveBeenCalled()
    })

    it('sends no hedge for a call still waiting in the bulkhead queue', async () => {
      const r = rig({ ...HEDGING, capacity: 1, maxQueue: 1 })
      const first = r.call(scriptedSend(answerAfter(50, ok('first'))).send)
      const queued = scriptedSend(answerAfter(100, ok('queued')), answerAfter(5, ok('hedge')))
      const answer = r.call(queued.send)

      await vi.advanceTimersByTimeAsync(50) // the hedge was due at 20 ms, while still queued
      await expect(first).resolves.toMatchObject({ data: 'first' })
      await vi.advanceTimersByTimeAsync(100)
      await expect(answer).resolves.toStrictEqual(ok('queued'))
      expect(queued.requests).toHaveLength(1)
    })

    it('counts the hedge delay from the send, not from the wait in the queue', async () => {
      const r = rig({ ...HEDGING, capacity: 2, maxQueue: 1 })
      const busy = [r.call(scriptedSend(answerAfter(15, ok('a'))).send), r.call(scriptedSend(answerAfter(15, ok('b'))).send)]
      const queued = scriptedSend(answerAfter(10, ok('queued')), answerAfter(5, ok('hedge')))
      const answer = r.call(queued.send)

      // Sent at 15 ms: a hedge armed at the queueing would go out at 20 ms, 5 ms into a healthy call.
      await vi.advanceTimersByTimeAsync(25)
      await Promise.all(busy)
      await expect(answer).resolves.toStrictEqual(ok('queued'))
      expect(queued.requests).toHaveLength(1)
      expect(r.observer.hedgeSent).not.toHaveBeenCalled()
    })

    it('aborts both attempts with the caller reason when the caller leaves', async () => {
      const r = rig(HEDGING)
      const upstream = scriptedSend(answerAfter(300, ok('primary')), answerAfter(300, ok('hedge')))
      const caller = new AbortController()
      const answer = settle(r.call(upstream.send, caller.signal))
      await vi.advanceTimersByTimeAsync(60) // after the hedge went out at 20 ms

      const reason = new Error('client left')
      caller.abort(reason)
      await expect(answer).resolves.toEqual({ error: reason })
      expect(upstream.requests.map((request) => request.abortReason)).toEqual([reason, reason])
      expect(outcomesOf(r)).toEqual(['aborted', 'aborted'])
      expect(r.policies.bulkhead.inFlight).toBe(0)
    })

    it('sends no hedge when its timer fires late because our own event loop is busy', async () => {
      // Real timers: lateness is real time the loop could not run, which a fake clock never has.
      vi.useRealTimers()
      const r = rig({ hedge: { enabled: true, minDelayMs: 20, maxLoopLagMs: 30 }, p95Ms: 10 })
      const upstream = scriptedSend(answerAfter(150, ok('primary')), answerAfter(5, ok('hedge')))
      const answer = r.call(upstream.send)
      const blockedUntil = performance.now() + 100 // the hedge is due at 20 ms; the loop frees up at 100
      while (performance.now() < blockedUntil) { /* a CPU-bound stretch of our own */ }

      await expect(answer).resolves.toStrictEqual(ok('primary'))
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.hedgeSkippedBusy).toHaveBeenCalledTimes(1)
      expect(r.observer.hedgeSent).not.toHaveBeenCalled()
    })
  })

  describe('retry', () => {
    const RETRYING: RigOptions = { retry: { enabled: true, baseDelayMs: 10 } }

    beforeEach(() => {
      // The jitter's midpoint: every pause is exactly baseDelayMs.
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
    })

    it('retries a retryable failure once, after the pause, and marks the answer retried', async () => {
      const r = rig(RETRYING)
      const upstream = scriptedSend(answerAfter(5, upstreamError(503)), answerAfter(5, ok('dune')))
      const answer = watch(r.call(upstream.send))

      await vi.advanceTimersByTimeAsync(5)
      expect(answer.settled).toBe(false)
      expect(upstream.requests).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(10)
      expect(upstream.offsets()).toEqual([0, 15])
      await vi.advanceTimersByTimeAsync(5)
      await expect(answer.outcome).resolves.toStrictEqual({ value: { ...ok('dune'), retried: true } })
      expect(outcomesOf(r)).toEqual(['error', 'ok'])
      expect(r.observer.retried).toHaveBeenCalledWith(NAME)
    })

    it('retries at most once, returning the second failure marked as retried', async () => {
      const r = rig(RETRYING)
      const upstream = scriptedSend(answerAfter(5, upstreamError()), answerAfter(5, upstreamError(502)), answerAfter(5, upstreamError(503)))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(20)

      await expect(answer).resolves.toStrictEqual({ ...upstreamError(502), retried: true })
      await vi.advanceTimersByTimeAsync(100)
      expect(upstream.requests).toHaveLength(2)
      expect(r.observer.retried).toHaveBeenCalledTimes(1)
    })

    it('returns a non-retryable failure at once', async () => {
      const r = rig(RETRYING)
      const failure = upstreamError(500)
      const upstream = scriptedSend(answerAfter(5, failure), answerAfter(5, ok()))
      const answer = r.call(upstream.send)
      await vi.advanceTimersByTimeAsync(5)

      await expect(answer).resolves.toBe(failure)
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.retried).not.toHaveBeenCalled()
    })

    it('does not retry when the pause alone would outlast the deadline, and does not sit it out', async () => {
      const r = rig(RETRYING)
      const failure = upstreamError(503)
      const upstream = scriptedSend(answerAfter(5, failure), answerAfter(5, ok()))
      const answer = watch(r.call(upstream.send, live(), 12)) // 7 ms left after the failure, the pause is 10

      await vi.advanceTimersByTimeAsync(5)
      expect(answer.settled).toBe(true)
      await expect(answer.outcome).resolves.toEqual({ value: failure })
      expect(upstream.requests).toHaveLength(1)
    })

    it("expects the retry to take the upstream's p95: no retry that could not answer in time", async () => {
      // The pause (10 ms) fits in the 145 ms left, but a 200 ms attempt would not.
      const r = rig({ ...RETRYING, p95Ms: 200 })
      const failure = upstreamError(503)
      const upstream = scriptedSend(answerAfter(5, failure), answerAfter(5, ok()))
      const answer = r.call(upstream.send, live(), 150)
      await vi.advanceTimersByTimeAsync(5)

      await expect(answer).resolves.toBe(failure)
      expect(upstream.requests).toHaveLength(1)
    })

    it('waits the upstream Retry-After instead of the backoff', async () => {
      // A 10 s backoff could never fit the 1 s deadline: only the Retry-After makes this retry happen.
      const r = rig({ retry: { enabled: true, baseDelayMs: 10_000 } })
      const upstream = scriptedSend(answerAfter(5, upstreamError(503, 120)), answerAfter(5, ok('dune')))
      const answer = r.call(upstream.send, live(), 1000)

      await vi.advanceTimersByTimeAsync(124)
      expect(upstream.requests).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.offsets()).toEqual([0, 125])
      await vi.advanceTimersByTimeAsync(5)
      await expect(answer).resolves.toStrictEqual({ ...ok('dune'), retried: true })
    })

    it('makes no second attempt when the caller leaves during the pause', async () => {
      const r = rig({ retry: { enabled: true, baseDelayMs: 200 } })
      const upstream = scriptedSend(answerAfter(5, upstreamError(503)), answerAfter(5, ok()))
      const caller = new AbortController()
      const answer = settle(r.call(upstream.send, caller.signal))
      await vi.advanceTimersByTimeAsync(20)

      const reason = new Error('deadline')
      caller.abort(reason)
      await expect(answer).resolves.toEqual({ error: reason })
      expect(vi.getTimerCount()).toBe(0) // the pause was cancelled, not sat out
      await vi.advanceTimersByTimeAsync(500)
      expect(upstream.requests).toHaveLength(1)
    })

    it('makes no second attempt when the caller leaves during the first', async () => {
      const r = rig(RETRYING)
      const upstream = scriptedSend(NEVER, answerAfter(5, ok()))
      const caller = new AbortController()
      const answer = settle(r.call(upstream.send, caller.signal))
      await vi.advanceTimersByTimeAsync(10)

      const reason = new Error('client left')
      caller.abort(reason)
      await expect(answer).resolves.toEqual({ error: reason })
      expect(upstream.requests[0]!.abortReason).toBe(reason)
      await vi.advanceTimersByTimeAsync(100)
      expect(upstream.requests).toHaveLength(1)
    })
  })

  describe('waiters', () => {
    it('shares one request among concurrent waiters and marks the shared answer coalesced', async () => {
      const r = rig()
      const upstream = scriptedSend(answerAfter(5, ok('dune')))
      const flight = r.flight(upstream.send)
      const waiters = [flight.join(live())]
      flight.start()
      waiters.push(flight.join(live()), flight.join(live()))
      await vi.advanceTimersByTimeAsync(5)

      const shared = { ...ok('dune'), coalesced: true }
      await expect(Promise.all(waiters)).resolves.toStrictEqual([shared, shared, shared])
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.coalesced.mock.calls).toEqual([[NAME], [NAME]]) // once per caller that joined
    })

    it('gives every waiter the same failure', async () => {
      const r = rig()
      const flight = r.flight(scriptedSend(answerAfter(5, upstreamError(503))).send)
      const waiters = [flight.join(live())]
      flight.start()
      waiters.push(flight.join(live()), flight.join(live()))
      await vi.advanceTimersByTimeAsync(5)

      const shared = { ...upstreamError(503), coalesced: true }
      await expect(Promise.all(waiters)).resolves.toStrictEqual([shared, shared, shared])
    })

    it('lets one waiter leave with its own reason without cancelling the request for the others', async () => {
      const r = rig()
      const upstream = scriptedSend(answerAfter(50, ok('dune')))
      const flight = r.flight(upstream.send)
      const leaving = new AbortController()
      const left = settle(flight.join(leaving.signal))
      flight.start()
      const stays = flight.join(live())
      await vi.advanceTimersByTimeAsync(10)

      const reason = new Error('client went away')
      leaving.abort(reason)
      await expect(left).resolves.toEqual({ error: reason })
      expect(upstream.requests[0]!.abortReason).toBeUndefined()
      expect(r.ended).toHaveLength(0)

      await vi.advanceTimersByTimeAsync(40)
      await expect(stays).resolves.toStrictEqual({ ...ok('dune'), coalesced: true })
      expect(upstream.requests).toHaveLength(1)
    })

    it('aborts the request with the last reason once every waiter has left', async () => {
      const r = rig()
      const upstream = scriptedSend(NEVER)
      const flight = r.flight(upstream.send)
      const first = new AbortController()
      const second = new AbortController()
      const a = settle(flight.join(first.signal))
      flight.start()
      const b = settle(flight.join(second.signal))
      await vi.advanceTimersByTimeAsync(10)

      const firstReason = new Error('first left')
      const lastReason = new Error('last left')
      first.abort(firstReason)
      expect(upstream.requests[0]!.abortReason).toBeUndefined()
      second.abort(lastReason)

      expect(upstream.requests[0]!.abortReason).toBe(lastReason)
      await expect(a).resolves.toEqual({ error: firstReason })
      await expect(b).resolves.toEqual({ error: lastReason })
      expect(r.ended).toEqual([flight])
      expect(outcomesOf(r)).toEqual(['aborted'])
      expect(r.policies.bulkhead.inFlight).toBe(0)
    })

    it('serves 1000 concurrent waiters with one request', async () => {
      const r = rig()
      const upstream = scriptedSend(answerAfter(5, ok('dune')))
      const flight = r.flight(upstream.send)
      const waiters = [flight.join(live())]
      flight.start()
      for (let i = 1; i < 1000; i++) waiters.push(flight.join(live()))
      await vi.advanceTimersByTimeAsync(5)

      const results = await Promise.all(waiters)
      expect(results).toHaveLength(1000)
      expect(results.every((result) => result.status === 'ok' && result.data === 'dune' && result.coalesced === true)).toBe(true)
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.coalesced).toHaveBeenCalledTimes(999)
    })
  })

  describe('circuit breaker', () => {
    it('opens after 3 failing flights, then answers circuit_open at once without sending or taking a slot', async () => {
      const r = rig()
      await openCircuit(r)

      for (let i = 0; i < 200; i++) {
        const upstream = scriptedSend(answerAfter(5, ok()))
        await expect(r.call(upstream.send)).resolves.toStrictEqual({
          status: 'circuit_open', detail: 'publisher circuit is open after repeated failures; not called'
        })
        expect(upstream.requests).toHaveLength(0)
      }
      expect(r.policies.bulkhead.inFlight).toBe(0)
      expect(vi.getTimerCount()).toBe(0)
      expect(r.ended).toHaveLength(203)
    })

    it('counts a caller that timed out as an upstream failure, and reports the request as timeout', async () => {
      const r = rig()
      for (let i = 0; i < 3; i++) {
        const upstream = scriptedSend(NEVER)
        const caller = new AbortController()
        const answer = settle(r.call(upstream.send, caller.signal))
        await vi.advanceTimersByTimeAsync(10)
        const reason = new DOMException('publisher timed out', 'TimeoutError')
        caller.abort(reason)
        await expect(answer).resolves.toEqual({ error: reason })
        expect(upstream.requests[0]!.abortReason).toBe(reason)
      }
      expect(outcomesOf(r)).toEqual(['timeout', 'timeout', 'timeout'])
      expect(r.policies.breaker.state).toBe('open')
    })

    it('recognises a timeout by its name, whatever the error class', async () => {
      const r = rig()
      for (let i = 0; i < 3; i++) {
        const caller = new AbortController()
        const answer = settle(r.call(scriptedSend(NEVER).send, caller.signal))
        const reason = new Error('timed out')
        reason.name = 'TimeoutError'
        caller.abort(reason)
        await answer
      }
      expect(r.policies.breaker.state).toBe('open')
    })

    it('does not count callers that left for other reasons (client aborts)', async () => {
      const r = rig()
      const reasons = [new DOMException('This operation was aborted', 'AbortError'), new Error('client closed the connection'), new TypeError('bug')]
      for (let i = 0; i < 10; i++) {
        const caller = new AbortController()
        const answer = settle(r.call(scriptedSend(NEVER).send, caller.signal))
        caller.abort(reasons[i % reasons.length])
        await expect(answer).resolves.toEqual({ error: reasons[i % reasons.length] })
      }
      expect(r.policies.breaker.state).toBe('closed')
      expect(new Set(outcomesOf(r))).toEqual(new Set(['aborted']))
    })

    it('treats a caller that left as neutral: it neither counts as a failure nor resets the count', async () => {
      const r = rig()
      const fail = async (): Promise<void> => {
        const answer = r.call(scriptedSend(answerAfter(1, upstreamError(503))).send)
        await vi.advanceTimersByTimeAsync(1)
        await answer
      }
      await fail()
      await fail()
      const caller = new AbortController()
      const left = settle(r.call(scriptedSend(NEVER).send, caller.signal))
      caller.abort(new DOMException('aborted', 'AbortError'))
      await left
      expect(r.policies.breaker.state).toBe('closed')
      await fail()
      expect(r.policies.breaker.state).toBe('open')
    })

    it('lets one flight probe after halfOpenAfterMs, refuses the others meanwhile, and closes when the probe succeeds', async () => {
      const r = rig()
      await openCircuit(r)
      await vi.advanceTimersByTimeAsync(HALF_OPEN_AFTER_MS)

      const probe = scriptedSend(answerAfter(10, ok('probe')))
      const probing = r.call(probe.send)
      expect(probe.requests).toHaveLength(1)
      expect(r.policies.breaker.state).toBe('half_open')

      // While the probe is out, other flights do not reach the upstream.
      for (let i = 0; i < 2; i++) {
        const follower = scriptedSend(answerAfter(1, ok('follower')))
        await expect(r.call(follower.send)).resolves.toMatchObject({ status: 'circuit_open' })
        expect(follower.requests).toHaveLength(0)
      }

      await vi.advanceTimersByTimeAsync(10)
      await expect(probing).resolves.toStrictEqual(ok('probe'))
      expect(r.policies.breaker.state).toBe('closed')
      const after = scriptedSend(answerAfter(1, ok('after')))
      const answer = r.call(after.send)
      await vi.advanceTimersByTimeAsync(1)
      await expect(answer).resolves.toStrictEqual(ok('after'))
    })

    it('re-opens when the probe fails', async () => {
      const r = rig()
      await openCircuit(r)
      await vi.advanceTimersByTimeAsync(HALF_OPEN_AFTER_MS)

      const probing = r.call(scriptedSend(answerAfter(1, upstreamError(503))).send)
      await vi.advanceTimersByTimeAsync(1)
      await probing
      expect(r.policies.breaker.state).toBe('open')
      await expect(r.call(scriptedSend(answerAfter(1, ok())).send)).resolves.toMatchObject({ status: 'circuit_open' })
    })

    // Both tests below fail today: the breaker cannot tell the probe's record() from that of a
    // call it admitted while still closed, so such a straggler decides the half-open state.
    it('lets no second probe out while the probe runs, even when a call sent before the circuit opened ends meanwhile', async () => {
      const r = rig()
      const stragglerCaller = new AbortController()
      const straggler = settle(r.call(scriptedSend(NEVER).send, stragglerCaller.signal)) // sent while closed
      await openCircuit(r)
      await vi.advanceTimersByTimeAsync(HALF_OPEN_AFTER_MS)
      const probeCaller = new AbortController()
      const probe = settle(r.call(scriptedSend(NEVER).send, probeCaller.signal))
      expect(r.policies.breaker.state).toBe('half_open')

      stragglerCaller.abort(new DOMException('client left', 'AbortError')) // neutral: says nothing of the upstream
      const second = scriptedSend(answerAfter(1, ok()))
      const secondAnswer = r.call(second.send)
      const secondSent = second.requests.length

      await vi.advanceTimersByTimeAsync(1)
      probeCaller.abort(new DOMException('client left', 'AbortError'))
      await Promise.all([straggler, probe, secondAnswer])
      expect(secondSent).toBe(0)
    })

    it('leaves the verdict to the probe: a call sent before the circuit opened that succeeds meanwhile does not close it', async () => {
      const r = rig()
      const straggler = r.call(scriptedSend(answerAfter(150, ok('late'))).send) // sent while closed
      await openCircuit(r)
      await vi.advanceTimersByTimeAsync(HALF_OPEN_AFTER_MS)
      const probeCaller = new AbortController()
      const probe = settle(r.call(scriptedSend(NEVER).send, probeCaller.signal))

      await vi.advanceTimersByTimeAsync(50) // the straggler answers while the probe is still out
      await straggler
      const stateWhileProbing = r.policies.breaker.state

      probeCaller.abort(new DOMException('client left', 'AbortError'))
      await probe
      expect(stateWhileProbing).toBe('half_open')
    })
  })

  describe('bulkhead', () => {
    it('queues a flight while every slot is taken, and answers overloaded once the queue is full too', async () => {
      const r = rig({ capacity: 1, maxQueue: 1 })
      const running = scriptedSend(answerAfter(50, ok('running')))
      const waiting = scriptedSend(answerAfter(50, ok('waiting')))
      const refused = scriptedSend(answerAfter(1, ok('refused')))
      const first = r.call(running.send)
      const second = r.call(waiting.send)

      await expect(r.call(refused.send)).resolves.toStrictEqual({ status: 'overloaded', detail: 'publisher has 1 calls in flight and 1 queued' })
      expect(refused.requests).toHaveLength(0)
      expect(waiting.requests).toHaveLength(0)
      expect(r.policies.bulkhead.queued).toBe(1)

      await vi.advanceTimersByTimeAsync(50)
      await expect(first).resolves.toMatchObject({ data: 'running' })
      expect(waiting.requests).toHaveLength(1) // the freed slot went to the queued flight
      await vi.advanceTimersByTimeAsync(50)
      await expect(second).resolves.toStrictEqual(ok('waiting'))
      expect(r.policies.bulkhead.inFlight).toBe(0)
    })

    it('gives up its place in the queue when its caller leaves, and never sends', async () => {
      const r = rig({ capacity: 1, maxQueue: 1 })
      const first = r.call(scriptedSend(answerAfter(50, ok())).send)
      const waiting = scriptedSend(answerAfter(5, ok()))
      const caller = new AbortController()
      const left = settle(r.call(waiting.send, caller.signal))

      const reason = new Error('client left')
      caller.abort(reason)
      await expect(left).resolves.toEqual({ error: reason })
      expect(r.policies.bulkhead.queued).toBe(0)

      await vi.advanceTimersByTimeAsync(50)
      await first
      expect(waiting.requests).toHaveLength(0)
      expect(r.policies.bulkhead.inFlight).toBe(0)
    })

    it('takes a slot for every request, hedges included', async () => {
      const r = rig({ hedge: { enabled: true, minDelayMs: 20 }, p95Ms: 10 })
      const answer = r.call(scriptedSend(answerAfter(300, ok('primary')), answerAfter(30, ok('hedge'))).send)
      await vi.advanceTimersByTimeAsync(20)
      expect(r.policies.bulkhead.inFlight).toBe(2)
      await vi.advanceTimersByTimeAsync(30)
      await answer
      expect(r.policies.bulkhead.inFlight).toBe(0)
    })

    it('does not count overloaded flights against the upstream', async () => {
      const r = rig({ capacity: 1, maxQueue: 0 })
      const caller = new AbortController()
      const holder = settle(r.call(scriptedSend(NEVER).send, caller.signal))
      for (let i = 0; i < 10; i++) await expect(r.call(scriptedSend(answerAfter(1, ok())).send)).resolves.toMatchObject({ status: 'overloaded' })
      expect(r.policies.breaker.state).toBe('closed')
      caller.abort(new Error('done'))
      await holder
    })
  })
})
