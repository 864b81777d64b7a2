import { describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../src/domain/outcome.js'
import { UpstreamHost, type HostPolicies } from '../../src/upstream/upstream-host.js'
import { ok, settle, upstreamError } from './policies/helpers.js'
import { useFakeFlightClock } from './fake-clock.js'
import { answerAfter, scriptedSend } from './scripted-send.js'

// The rate budget as the flight applies it, on one fake clock (timers and performance.now()).
useFakeFlightClock()

const QUIET = { warn: () => undefined }

function host(maxRps: number, overrides: Partial<HostPolicies> = {}): UpstreamHost {
  return new UpstreamHost('openlibrary', {
    maxConcurrency: 64,
    maxQueue: 64,
    breaker: { consecutiveFailures: 100, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: 100 },
    retry: { enabled: false, baseDelayMs: 10 },
    hedge: { enabled: false, minDelayMs: 20, maxRatio: 1, maxLoopLagMs: 100_000, maxLoopUtilization: 1 },
    maxRps,
    ...overrides
  }, QUIET)
}

const live = (): AbortSignal => new AbortController().signal

describe('UpstreamHost rate budget', () => {
  it('spaces requests so no window of a second holds more than maxRps, across keys', async () => {
    const h = host(2)
    const upstream = scriptedSend(answerAfter(5, ok()))
    const answers = Array.from({ length: 5 }, (_, i) => settle(h.call(`k${i}`, live(), performance.now() + 5000, upstream.send)))
    await vi.advanceTimersByTimeAsync(3000)
    expect((await Promise.all(answers)).map((a) => ('value' in a ? a.value.status : 'rejected'))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
    expect(upstream.offsets()).toEqual([0, 0, 1100, 1100, 2200])
  })

  it('settles rate_limited at once, without a request, when no slot comes before the deadline', async () => {
    const h = host(2)
    const upstream = scriptedSend(answerAfter(5, ok()))
    const answers = Array.from({ length: 5 }, (_, i) => h.call(`k${i}`, live(), performance.now() + 1500, upstream.send))
    const fifth = await answers[4] as FetchResult
    expect(performance.now()).toBe(0)
    expect(fifth).toEqual({ status: 'rate_limited', detail: 'openlibrary allows 2 requests per 1.1 s and none was free before the deadline; not called' })
    await vi.advanceTimersByTimeAsync(1200)
    await Promise.all(answers.slice(0, 4))
    expect(upstream.requests).toHaveLength(4)
  })

  it('books no slot so late that a request of the usual latency could not answer before the deadline', async () => {
    const h = host(1)
    // Teach the host that its requests take 200 ms.
    for (let i = 0; i < 20; i++) {
      const warm = h.call(`warm${i}`, live(), performance.now() + 60_000, scriptedSend(answerAfter(200, ok())).send)
      await vi.advanceTimersByTimeAsync(1100)
      await warm
    }
    const upstream = scriptedSend(answerAfter(200, ok()))
    const first = h.call('a', live(), performance.now() + 5000, upstream.send)
    // The next slot is 1.1 s away: 1.2 s of deadline leaves 100 ms after it, less than the 200 ms a request takes.
    const late = await h.call('b', live(), performance.now() + 1200, upstream.send)
    expect(late.status).toBe('rate_limited')
    await vi.advanceTimersByTimeAsync(200)
    await first
    expect(upstream.requests).toHaveLength(1)
  })

  it('counts no breaker failure for callers that timed out while waiting for a slot: nothing was sent', async () => {
    const h = host(1, { breaker: { consecutiveFailures: 2, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: 100 } })
    const upstream = scriptedSend(answerAfter(5, ok()))
    const first = h.call('a', live(), performance.now() + 60_000, upstream.send)
    const waiting = [new AbortController(), new AbortController()]
    const left = waiting.map((caller, i) => settle(h.call(`w${i}`, caller.signal, performance.now() + 60_000, upstream.send)))
    await vi.advanceTimersByTimeAsync(500)
    for (const caller of waiting) caller.abort(new DOMException('timed out', 'TimeoutError'))
    await Promise.all([first, ...left])
    expect(h.circuitState).toBe('closed')
    expect(upstream.requests).toHaveLength(1)
  })

  it('gives the slot of a caller that left to the next one', async () => {
    const h = host(1)
    const upstream = scriptedSend(answerAfter(5, ok()))
    const first = h.call('a', live(), performance.now() + 5000, upstream.send)
    const leaving = new AbortController()
    const left = settle(h.call('b', leaving.signal, performance.now() + 5000, upstream.send))
    expect(h.inFlight).toBe(2) // waiting for its slot, it holds a bulkhead slot
    leaving.abort(new Error('client went away'))
    expect(await left).toEqual({ error: new Error('client went away') })
    expect(h.inFlight).toBe(1)
    const third = h.call('c', live(), performance.now() + 5000, upstream.send)
    await vi.advanceTimersByTimeAsync(1105)
    await Promise.all([first, third])
    expect(upstream.offsets()).toEqual([0, 1100])
  })

  it('a 429 pauses the host for every caller for as long as Retry-After says', async () => {
    const h = host(10)
    const throttled: FetchResult = { status: 'rate_limited', httpStatus: 429, detail: 'openlibrary answered 429', retryAfterMs: 2000 }
    const upstream = scriptedSend(answerAfter(5, throttled), answerAfter(5, ok()))
    const first = h.call('a', live(), performance.now() + 1000, upstream.send)
    await vi.advanceTimersByTimeAsync(5)
    expect((await first).status).toBe('rate_limited')
    // Another key, another section: not sent while the pause lasts, if its deadline is sooner.
    const impatient = await h.call('b', live(), performance.now() + 1000, upstream.send)
    expect(impatient.status).toBe('rate_limited')
    expect(impatient.status === 'rate_limited' && impatient.detail).toMatch(/asked us to wait \(429, Retry-After\) for 2 s more/)
    const patient = h.call('c', live(), performance.now() + 5000, upstream.send)
    await vi.advanceTimersByTimeAsync(2100)
    expect((await patient).status).toBe('ok')
    expect(upstream.offsets()).toEqual([0, 2005])
  })

  it('sends a hedge only when the budget has a slot free at that moment', async () => {
    const hedging = { enabled: true, minDelayMs: 20, maxRatio: 1, maxLoopLagMs: 100_000, maxLoopUtilization: 1 }
    for (const [maxRps, expected] of [[1, 1], [2, 2]] as const) {
      const h = host(maxRps, { hedge: hedging })
      const fast = scriptedSend(answerAfter(5, ok()))
      // Warm the host's p95 (5 ms), one call a second so the budget is never the limit.
      for (let i = 0; i < 25; i++) {
        const warm = h.call(`warm${i}`, live(), performance.now() + 5000, fast.send)
        await vi.advanceTimersByTimeAsync(1100)
        await warm
      }
      const slow = scriptedSend(answerAfter(200, ok()))
      const answer = h.call('slow', live(), performance.now() + 5000, slow.send)
      await vi.advanceTimersByTimeAsync(300)
      await answer
      expect(slow.requests).toHaveLength(expected)
      await vi.advanceTimersByTimeAsync(1100)
    }
  })

  it('a retry needs a slot too: without one before the deadline, the first failure is the answer', async () => {
    const h = host(1, { retry: { enabled: true, baseDelayMs: 10 } })
    const upstream = scriptedSend(answerAfter(5, upstreamError(503)), answerAfter(5, ok()))
    const answer = h.call('a', live(), performance.now() + 500, upstream.send)
    await vi.advanceTimersByTimeAsync(100)
    expect(await answer).toEqual(upstreamError(503))
    expect(upstream.requests).toHaveLength(1)
    // With time for the slot, the retry waits for it and goes.
    const second = scriptedSend(answerAfter(5, upstreamError(503)), answerAfter(5, ok()))
    const patient = h.call('b', live(), performance.now() + 5000, second.send)
    await vi.advanceTimersByTimeAsync(3000)
    expect(await patient).toMatchObject({ status: 'ok', retried: true })
    // The first went at the slot after 'a' (1100 ms), the retry at the next one.
    expect(second.offsets()).toEqual([0, 1100])
  })

  it('a call that starts a chain waits for its slot only until its startBy; the chains under way keep theirs', async () => {
    const h = host(1)
    const upstream = scriptedSend(answerAfter(5, ok()))
    const first = h.call('a', live(), performance.now() + 5000, upstream.send)
    // A new chain that would have to wait 1.1 s, but may only start within 500 ms: refused at once.
    const newChain = await h.call('b', live(), performance.now() + 5000, upstream.send, performance.now() + 500)
    expect(newChain.status).toBe('rate_limited')
    // The next request of the chain under way gets the slot.
    const continuation = h.call('a2', live(), performance.now() + 5000, upstream.send)
    await vi.advanceTimersByTimeAsync(1200)
    await Promise.all([first, continuation])
    expect(upstream.offsets()).toEqual([0, 1100])
  })
})
