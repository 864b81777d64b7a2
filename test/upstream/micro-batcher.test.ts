import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../src/domain/outcome.js'
import { MicroBatcher, type BatchEndpoint, type MicroBatchOptions } from '../../src/upstream/micro-batcher.js'
import { UpstreamHost, type HostPolicies } from '../../src/upstream/upstream-host.js'
import { ok, settle, upstreamError, watch } from './policies/helpers.js'
import { useFakeFlightClock } from './fake-clock.js'
import { answerLater, type SentRequest } from './scripted-send.js'
import { spyObserver } from './spy-observer.js'

// The batcher on a real UpstreamHost (its bulkhead, breaker, retry, hedger and rate budget) and
// one fake clock: which lookups share a request, what the request asks for, and who hears what.
// How one flight runs its policies is upstream-flight.test.ts's.

const NAME = 'publisher'
const ENDPOINT = 'books'

useFakeFlightClock()

/** How one request to the scripted batch endpoint goes: an answer (built from its keys) after some ms, or none. */
type BatchStep = { readonly afterMs: number; readonly answer: (keys: readonly string[]) => FetchResult } | 'never'

/** Every key answered with its own book (the record `book <key>`). */
const allBooks = (keys: readonly string[]): FetchResult => ok(Object.fromEntries(keys.map((key) => [key, `book ${key}`])))
const booksAfter = (afterMs: number): BatchStep => ({ afterMs, answer: allBooks })
const answerAfter = (afterMs: number, answer: FetchResult | ((keys: readonly string[]) => FetchResult)): BatchStep =>
  ({ afterMs, answer: typeof answer === 'function' ? answer : () => answer })
const NEVER: BatchStep = 'never'

/** What the scripted endpoint saw of one request. */
interface BatchRequest extends SentRequest {
  readonly keys: readonly string[]
}

/**
 * A batch endpoint whose n-th request goes as `plan[n]` (the last step repeats), keeping the
 * ExchangeHandle contract as the real client does (an abort clears the answer's timer; aborting
 * an answered request, or twice, throws). `split` reads a key's record: a string is its book,
 * anything else is malformed, and a key absent from the answer is not found.
 */
function scriptedBatch(...plan: BatchStep[]) {
  const requests: BatchRequest[] = []
  const endpoint: BatchEndpoint = {
    name: ENDPOINT,
    send(keys, _trace, done) {
      const step = plan[Math.min(requests.length, plan.length - 1)] ?? NEVER
      const request: BatchRequest = { keys: [...keys], sentAt: performance.now(), abortReason: undefined, answered: false }
      requests.push(request)
      return answerLater(request, step === 'never' ? 'never' : { afterMs: step.afterMs, answer: () => step.answer(keys) }, done)
    },
    split(data, key) {
      const items = data as Record<string, unknown>
      if (!Object.hasOwn(items, key)) return { status: 'not_found' }
      const item = items[key]
      return typeof item === 'string' ? ok(item) : { status: 'invalid_response', detail: `malformed entry for ${key}` }
    }
  }
  return {
    endpoint,
    requests,
    /** The keys of each request, in order. */
    keysSent: (): string[][] => requests.map((request) => [...request.keys]),
    /** When each request was sent, relative to the clock's start. */
    sentAt: (): number[] => requests.map((request) => request.sentAt)
  }
}

interface RigOptions {
  readonly batch?: Partial<MicroBatchOptions>
  readonly host?: Partial<HostPolicies>
}

/** One host behind its policies (retries and hedges off unless asked for), a batcher on it, and a recording observer. */
function rig(endpoint: BatchEndpoint, options: RigOptions = {}) {
  const observer = spyObserver()
  const host = new UpstreamHost(NAME, {
    maxConcurrency: 4,
    maxQueue: 4,
    breaker: { consecutiveFailures: 3, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: 100 },
    retry: { enabled: false, baseDelayMs: 10 },
    hedge: { enabled: false, minDelayMs: 20, maxRatio: 1, maxLoopLagMs: 100_000, maxLoopUtilization: 1 },
    ...options.host
  }, { warn: () => undefined }, observer)
  const batcher = new MicroBatcher(host, endpoint, { maxSize: 25, windowMs: 5, windowShare: 1, ...options.batch }, observer)
  /** A lookup with `deadlineMs` left, through its own signal (or a live one). */
  const load = (key: string, deadlineMs = 1000, signal = new AbortController().signal): Promise<FetchResult> =>
    batcher.load(key, signal, performance.now() + deadlineMs)
  return { host, batcher, observer, load }
}

const book = (key: string, marks: Partial<FetchResult> = {}): FetchResult => ({ ...ok(`book ${key}`), ...marks } as FetchResult)
const timeout = (): DOMException => new DOMException('publisher timed out', 'TimeoutError')

describe('MicroBatcher', () => {
  describe('the window', () => {
    it('sends the lookups that arrive within the window as one request; one after it starts another', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const a = r.load('a')
      await vi.advanceTimersByTimeAsync(2)
      const b = r.load('b')
      await vi.advanceTimersByTimeAsync(2)
      expect(upstream.requests).toHaveLength(0) // the window (5 ms from the first lookup) is still open
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.keysSent()).toEqual([['a', 'b']])

      await vi.advanceTimersByTimeAsync(1)
      const c = r.load('c') // the first batch is on its way: c opens the next one
      await vi.advanceTimersByTimeAsync(20)
      expect(upstream.keysSent()).toEqual([['a', 'b'], ['c']])
      expect(upstream.sentAt()).toEqual([5, 11])

      await expect(a).resolves.toStrictEqual(book('a', { batched: 2 }))
      await expect(b).resolves.toStrictEqual(book('b', { batched: 2 }))
      await expect(c).resolves.toStrictEqual(book('c'))
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 2], [NAME, ENDPOINT, 1]])
    })

    it('sends a full batch at once, without waiting for the window; the next lookup opens a new batch', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint, { batch: { maxSize: 3, windowMs: 50 } })
      const full = ['a', 'b', 'c'].map((key) => r.load(key))
      expect(upstream.keysSent()).toEqual([['a', 'b', 'c']]) // synchronously, at the third key
      const d = r.load('d')
      await vi.advanceTimersByTimeAsync(49)
      expect(upstream.requests).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.keysSent()).toEqual([['a', 'b', 'c'], ['d']])
      await vi.advanceTimersByTimeAsync(10)

      await expect(Promise.all(full)).resolves.toStrictEqual(['a', 'b', 'c'].map((key) => book(key, { batched: 3 })))
      await expect(d).resolves.toStrictEqual(book('d'))
    })

    it("waits at most windowShare of a lookup's remaining time", async () => {
      const upstream = scriptedBatch(booksAfter(1))
      const r = rig(upstream.endpoint, { batch: { windowMs: 50, windowShare: 0.1 } })
      const a = r.load('a', 200) // a tenth of 200 ms: 20, sooner than the 50 ms window
      await vi.advanceTimersByTimeAsync(19)
      expect(upstream.requests).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.sentAt()).toEqual([20])
      await vi.advanceTimersByTimeAsync(1)
      await expect(a).resolves.toStrictEqual(book('a'))
    })

    it('brings the send forward for a later lookup with less time left, and never pushes it back', async () => {
      const upstream = scriptedBatch(booksAfter(1))
      const r = rig(upstream.endpoint, { batch: { windowMs: 50, windowShare: 0.1 } })
      const a = r.load('a', 1000) // due at 50
      await vi.advanceTimersByTimeAsync(10)
      const b = r.load('b', 100) // due at 10 + 10 = 20
      await vi.advanceTimersByTimeAsync(5)
      const c = r.load('c', 5000) // would be due at 15 + 50: no later than 20 all the same
      await vi.advanceTimersByTimeAsync(4)
      expect(upstream.requests).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      expect(upstream.keysSent()).toEqual([['a', 'b', 'c']])
      expect(upstream.sentAt()).toEqual([20])
      await vi.advanceTimersByTimeAsync(1)
      await expect(Promise.all([a, b, c])).resolves.toStrictEqual(['a', 'b', 'c'].map((key) => book(key, { batched: 3 })))
      expect(vi.getTimerCount()).toBe(0) // the 50 ms timer was replaced, not left behind
    })

    it('brings the send forward for a second lookup of the same key with less time left', async () => {
      const upstream = scriptedBatch(booksAfter(1))
      const r = rig(upstream.endpoint, { batch: { windowMs: 50, windowShare: 0.1 } })
      const first = r.load('a', 1000) // due at 50
      const second = r.load('a', 100) // due at 10: it joins a's entry, and the batch goes when it must
      await vi.advanceTimersByTimeAsync(10)
      expect(upstream.sentAt()).toEqual([10])
      await vi.advanceTimersByTimeAsync(1)
      await expect(Promise.all([first, second])).resolves.toStrictEqual([book('a', { coalesced: true }), book('a', { coalesced: true })])
    })
    it("lets a second lookup of the same key with more time left extend the call's deadline", async () => {
      const upstream = scriptedBatch(booksAfter(5))
      const r = rig(upstream.endpoint, { host: { maxRps: 1 } })
      const first = r.load('a', 5000)
      await vi.advanceTimersByTimeAsync(10) // sent at 5: the next rate slot is at 1105
      const impatient = new AbortController()
      const short = settle(r.load('b', 500, impatient.signal)) // alone, b could not wait for that slot
      const patient = r.load('b', 5000) // ...but this caller of b can
      await vi.advanceTimersByTimeAsync(500)
      impatient.abort(timeout())
      await vi.advanceTimersByTimeAsync(700)

      expect(upstream.keysSent()).toEqual([['a'], ['b']])
      expect(upstream.sentAt()).toEqual([5, 1105])
      await expect(first).resolves.toStrictEqual(book('a'))
      await expect(short).resolves.toMatchObject({ error: { name: 'TimeoutError' } })
      await expect(patient).resolves.toStrictEqual(book('b'))
    })
  })

  describe('keys', () => {
    it('asks once for a key looked up twice, answers both callers and marks them coalesced', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const answers = [r.load('a'), r.load('b'), r.load('a')]
      await vi.advanceTimersByTimeAsync(15)

      expect(upstream.keysSent()).toEqual([['a', 'b']])
      await expect(Promise.all(answers)).resolves.toStrictEqual([
        book('a', { coalesced: true, batched: 2 }),
        book('b', { batched: 2 }),
        book('a', { coalesced: true, batched: 2 })
      ])
      expect(r.observer.coalesced.mock.calls).toEqual([[NAME]])
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 2]])
    })

    it('lets a lookup of a key already on its way join that request instead of sending another', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const first = [r.load('a'), r.load('b')]
      await vi.advanceTimersByTimeAsync(8) // sent at 5, answering at 15
      const late = r.load('b')
      await vi.advanceTimersByTimeAsync(20)

      expect(upstream.keysSent()).toEqual([['a', 'b']])
      await expect(Promise.all([...first, late])).resolves.toStrictEqual([
        book('a', { batched: 2 }), book('b', { coalesced: true, batched: 2 }), book('b', { coalesced: true, batched: 2 })
      ])
    })

    it('answers not_found to the caller whose key the answer lacks, and only to it', async () => {
      const upstream = scriptedBatch(answerAfter(10, (keys) => allBooks(keys.filter((key) => key !== 'b'))))
      const r = rig(upstream.endpoint)
      const answers = ['a', 'b', 'c'].map((key) => r.load(key))
      await vi.advanceTimersByTimeAsync(15)

      await expect(Promise.all(answers)).resolves.toStrictEqual([
        book('a', { batched: 3 }), { status: 'not_found', batched: 3 }, book('c', { batched: 3 })
      ])
      expect(r.host.circuitState).toBe('closed')
    })

    it('answers invalid_response to the caller whose entry is malformed, and only to it', async () => {
      const upstream = scriptedBatch(answerAfter(10, ok({ a: 'book a', b: { title: 42 } })))
      const r = rig(upstream.endpoint)
      const answers = [r.load('a'), r.load('b')]
      await vi.advanceTimersByTimeAsync(15)

      await expect(Promise.all(answers)).resolves.toStrictEqual([
        book('a', { batched: 2 }), { status: 'invalid_response', detail: 'malformed entry for b', batched: 2 }
      ])
    })

    it('marks an answer batched only when the request carried two keys or more', async () => {
      const upstream = scriptedBatch(booksAfter(1))
      const r = rig(upstream.endpoint)
      const alone = r.load('a')
      await vi.advanceTimersByTimeAsync(10)
      const pair = [r.load('b'), r.load('c')]
      await vi.advanceTimersByTimeAsync(10)

      const single = await alone
      expect(single).toStrictEqual(book('a'))
      expect('batched' in single).toBe(false)
      await expect(Promise.all(pair)).resolves.toStrictEqual([book('b', { batched: 2 }), book('c', { batched: 2 })])
    })
  })

  describe('callers that leave', () => {
    it('drops the key of a caller that left before the send; the others are answered', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const leaving = new AbortController()
      const a = r.load('a')
      const b = settle(r.load('b', 1000, leaving.signal))
      const c = r.load('c')
      await vi.advanceTimersByTimeAsync(2)
      const reason = new Error('client went away')
      leaving.abort(reason)
      await expect(b).resolves.toEqual({ error: reason })
      await vi.advanceTimersByTimeAsync(13)

      expect(upstream.keysSent()).toEqual([['a', 'c']])
      await expect(Promise.all([a, c])).resolves.toStrictEqual([book('a', { batched: 2 }), book('c', { batched: 2 })])
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 2]])
    })

    it('keeps a key in the request while another caller of it still waits', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const leaving = new AbortController()
      const left = settle(r.load('a', 1000, leaving.signal))
      const stays = r.load('a')
      const b = r.load('b')
      leaving.abort(new Error('client went away'))
      await vi.advanceTimersByTimeAsync(15)

      expect(upstream.keysSent()).toEqual([['a', 'b']])
      await expect(left).resolves.toEqual({ error: new Error('client went away') })
      await expect(Promise.all([stays, b])).resolves.toStrictEqual([book('a', { batched: 2 }), book('b', { batched: 2 })])
    })

    it('sends nothing, and leaves no timer, when every caller left before the window closed', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const leaving = new AbortController()
      const answers = ['a', 'b'].map((key) => settle(r.load(key, 1000, leaving.signal)))
      leaving.abort(new Error('gone'))
      expect(vi.getTimerCount()).toBe(0)
      await expect(Promise.all(answers)).resolves.toEqual([{ error: new Error('gone') }, { error: new Error('gone') }])
      await vi.advanceTimersByTimeAsync(50)
      expect(upstream.requests).toHaveLength(0)
      expect(r.observer.batchSent).not.toHaveBeenCalled()

      const next = r.load('c') // a fresh batch, not the abandoned one
      await vi.advanceTimersByTimeAsync(15)
      await expect(next).resolves.toStrictEqual(book('c'))
      expect(upstream.keysSent()).toEqual([['c']])
    })

    it('aborts the request only when its last caller leaves, with that caller\'s reason; leaving is neutral for the breaker', async () => {
      const upstream = scriptedBatch(NEVER)
      const r = rig(upstream.endpoint, { host: { breaker: { consecutiveFailures: 1, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: 100 } } })
      const first = new AbortController()
      const last = new AbortController()
      const a = settle(r.load('a', 1000, first.signal))
      const b = settle(r.load('b', 1000, last.signal))
      await vi.advanceTimersByTimeAsync(10) // sent at 5
      expect(upstream.keysSent()).toEqual([['a', 'b']])

      const firstReason = new Error('first left')
      first.abort(firstReason)
      await expect(a).resolves.toEqual({ error: firstReason })
      expect(upstream.requests[0]!.abortReason).toBeUndefined()
      expect(r.host.inFlight).toBe(1)

      const lastReason = new Error('last left')
      last.abort(lastReason)
      await expect(b).resolves.toEqual({ error: lastReason })
      expect(upstream.requests[0]!.abortReason).toBe(lastReason)
      expect(r.observer.upstreamRequest.mock.calls.map((call) => call[1])).toEqual(['aborted'])
      expect(r.host.inFlight).toBe(0)
      expect(r.host.circuitState).toBe('closed')
    })

    it('counts a batch whose callers all timed out as a failure of the host', async () => {
      const upstream = scriptedBatch(NEVER, booksAfter(1))
      const r = rig(upstream.endpoint, { host: { breaker: { consecutiveFailures: 1, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: 100 } } })
      const callers = [new AbortController(), new AbortController()]
      const answers = ['a', 'b'].map((key, i) => settle(r.load(key, 300, callers[i]!.signal)))
      await vi.advanceTimersByTimeAsync(300)
      for (const caller of callers) caller.abort(timeout())

      expect((await Promise.all(answers)).map((answer) => 'error' in answer && (answer.error as Error).name)).toEqual(['TimeoutError', 'TimeoutError'])
      expect(upstream.requests[0]!.abortReason).toMatchObject({ name: 'TimeoutError' })
      expect(r.observer.upstreamRequest.mock.calls.map((call) => call[1])).toEqual(['timeout'])
      expect(r.host.circuitState).toBe('open')

      const next = r.load('c')
      await vi.advanceTimersByTimeAsync(5)
      await expect(next).resolves.toMatchObject({ status: 'circuit_open' })
      expect(upstream.requests).toHaveLength(1)
    })
  })

  describe('failures', () => {
    it('gives every caller the same failure when the whole request fails', async () => {
      const failure = upstreamError(503)
      const upstream = scriptedBatch(answerAfter(10, failure))
      const r = rig(upstream.endpoint)
      const answers = [r.load('a'), r.load('b'), r.load('a')]
      await vi.advanceTimersByTimeAsync(15)

      const [a, b, again] = await Promise.all(answers)
      expect(a).toStrictEqual({ ...failure, coalesced: true, batched: 2 })
      expect(b).toStrictEqual({ ...failure, batched: 2 })
      expect(again).toStrictEqual(a)
    })

    it('answers circuit_open to every caller without a request (nor a batch) while the circuit is open', async () => {
      const upstream = scriptedBatch(answerAfter(1, upstreamError(500)))
      const r = rig(upstream.endpoint, { host: { breaker: { consecutiveFailures: 1, failureRate: 1, windowMs: 1000, minCalls: 1000, halfOpenAfterMs: 1000 } } })
      const opening = r.load('x')
      await vi.advanceTimersByTimeAsync(6)
      await expect(opening).resolves.toMatchObject({ status: 'error' })
      expect(r.host.circuitState).toBe('open')

      const answers = [r.load('a'), r.load('b')]
      await vi.advanceTimersByTimeAsync(5)
      const results = await Promise.all(answers)
      expect(results.map((result) => result.status)).toEqual(['circuit_open', 'circuit_open'])
      expect(results[0]).toStrictEqual(results[1])
      expect(results.some((result) => 'batched' in result)).toBe(false) // nothing was sent
      expect(upstream.requests).toHaveLength(1)
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 1]])
    })

    it('answers overloaded to every caller of a batch that finds the bulkhead and its queue full', async () => {
      const upstream = scriptedBatch(booksAfter(50))
      const r = rig(upstream.endpoint, { host: { maxConcurrency: 1, maxQueue: 0 }, batch: { maxSize: 2 } })
      const busy = [r.load('a'), r.load('b')] // full: sent at once, holding the only slot
      const answers = [r.load('c'), r.load('d')] // full: finds no slot and no room in the queue
      const results = await Promise.all(answers)
      expect(results.map((result) => result.status)).toEqual(['overloaded', 'overloaded'])
      await vi.advanceTimersByTimeAsync(50)
      await expect(Promise.all(busy)).resolves.toStrictEqual([book('a', { batched: 2 }), book('b', { batched: 2 })])
      expect(upstream.keysSent()).toEqual([['a', 'b']])
    })

    it('rejects every caller with the error when the request cannot even be sent, as a flight does', async () => {
      const broken = new TypeError('not a normalized ISBN-13: b')
      const endpoint: BatchEndpoint = {
        name: ENDPOINT,
        send: () => {
          throw broken
        },
        split: () => ({ status: 'not_found' })
      }
      const r = rig(endpoint)
      const answers = [watch(r.load('a')), watch(r.load('b')), watch(r.load('a'))]
      await vi.advanceTimersByTimeAsync(5)

      expect(answers.map((answer) => answer.settled)).toEqual([true, true, true])
      await expect(Promise.all(answers.map((answer) => answer.outcome))).resolves.toEqual([{ error: broken }, { error: broken }, { error: broken }])
      expect(r.host.inFlight).toBe(0)
    })
  })

  describe('one flight of the host', () => {
    it('takes one bulkhead slot and makes one request observation for the whole batch', async () => {
      const upstream = scriptedBatch(booksAfter(10))
      const r = rig(upstream.endpoint)
      const answers = ['a', 'b', 'c', 'd'].map((key) => r.load(key))
      await vi.advanceTimersByTimeAsync(6)
      expect(r.host.inFlight).toBe(1)
      await vi.advanceTimersByTimeAsync(10)

      await Promise.all(answers)
      expect(r.host.inFlight).toBe(0)
      expect(r.observer.upstreamRequest.mock.calls).toEqual([[NAME, 'ok', 0.01]])
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 4]])
    })

    it('keeps taking keys while the batch waits in the bulkhead queue, and sends them all when a slot frees', async () => {
      const upstream = scriptedBatch(booksAfter(50), booksAfter(10))
      const r = rig(upstream.endpoint, { host: { maxConcurrency: 1, maxQueue: 1 } })
      const first = r.load('a')
      await vi.advanceTimersByTimeAsync(10) // a sent at 5, holding the only slot until 55
      const waiting = [r.load('b')]
      await vi.advanceTimersByTimeAsync(10) // b's batch queued at 15
      expect(r.host.queued).toBe(1)
      waiting.push(r.load('c'))
      await vi.advanceTimersByTimeAsync(20)
      waiting.push(r.load('d'))
      expect(upstream.requests).toHaveLength(1)

      await vi.advanceTimersByTimeAsync(15) // 55: the slot frees, the queued batch goes with everything
      expect(upstream.keysSent()).toEqual([['a'], ['b', 'c', 'd']])
      expect(upstream.sentAt()).toEqual([5, 55])
      await vi.advanceTimersByTimeAsync(10)
      await expect(first).resolves.toStrictEqual(book('a'))
      await expect(Promise.all(waiting)).resolves.toStrictEqual(['b', 'c', 'd'].map((key) => book(key, { batched: 3 })))
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 1], [NAME, ENDPOINT, 3]])
    })

    it('keeps taking keys while the batch waits for a rate-budget slot, so the next request carries all that arrived', async () => {
      const upstream = scriptedBatch(booksAfter(5))
      // One request per 1.1 s window (a tenth of headroom).
      const r = rig(upstream.endpoint, { host: { maxRps: 1 }, batch: { maxSize: 4 } })
      const first = r.load('a', 5000)
      await vi.advanceTimersByTimeAsync(10) // sent at 5: the next slot is at 1105
      const waiting = [r.load('b', 5000)]
      const leaving = new AbortController()
      const left = settle(r.load('x', 5000, leaving.signal))
      await vi.advanceTimersByTimeAsync(100)
      waiting.push(r.load('c', 5000))
      await vi.advanceTimersByTimeAsync(400)
      leaving.abort(new Error('client went away')) // x leaves before the slot: it is not asked for
      waiting.push(r.load('d', 5000), r.load('e', 5000)) // e fills the batch, which still waits for its slot
      const next = r.load('f', 5000) // a new batch, behind the full one
      expect(upstream.requests).toHaveLength(1)

      await vi.advanceTimersByTimeAsync(600) // 1110
      expect(upstream.keysSent()).toEqual([['a'], ['b', 'c', 'd', 'e']])
      expect(upstream.sentAt()).toEqual([5, 1105])
      await expect(first).resolves.toStrictEqual(book('a'))
      await expect(Promise.all(waiting)).resolves.toStrictEqual(['b', 'c', 'd', 'e'].map((key) => book(key, { batched: 4 })))
      await expect(left).resolves.toEqual({ error: new Error('client went away') })

      await vi.advanceTimersByTimeAsync(1100)
      expect(upstream.keysSent()).toEqual([['a'], ['b', 'c', 'd', 'e'], ['f']])
      expect(upstream.sentAt()).toEqual([5, 1105, 2205])
      await expect(next).resolves.toStrictEqual(book('f'))
      expect(r.observer.batchSent.mock.calls.map((call) => call[2])).toEqual([1, 4, 1])
      expect(r.observer.upstreamRequest).toHaveBeenCalledTimes(3)
    })

    it('answers rate_limited to every caller when no rate slot comes before the deadline', async () => {
      const upstream = scriptedBatch(booksAfter(5))
      const r = rig(upstream.endpoint, { host: { maxRps: 1 } })
      const first = r.load('a', 5000)
      await vi.advanceTimersByTimeAsync(10)
      const answers = [r.load('b', 500), r.load('c', 500)] // the next slot (1105) is past their deadline
      await vi.advanceTimersByTimeAsync(5)
      const results = await Promise.all(answers)
      expect(results.map((result) => result.status)).toEqual(['rate_limited', 'rate_limited'])
      await expect(first).resolves.toStrictEqual(book('a'))
      expect(upstream.requests).toHaveLength(1)
    })

    describe('retry', () => {
      beforeEach(() => {
        // The jitter's midpoint: every pause is exactly baseDelayMs.
        vi.spyOn(Math, 'random').mockReturnValue(0.5)
      })

      it('retries a failed batch once asking for the same keys, even those whose callers left; later keys go in a new batch', async () => {
        const upstream = scriptedBatch(answerAfter(5, upstreamError(503)), booksAfter(5))
        const r = rig(upstream.endpoint, { host: { retry: { enabled: true, baseDelayMs: 10 } } })
        const leaving = new AbortController()
        const a = r.load('a')
        const b = settle(r.load('b', 1000, leaving.signal))
        await vi.advanceTimersByTimeAsync(10) // sent at 5, failed at 10, retry due at 20
        leaving.abort(new Error('client went away'))
        const c = r.load('c') // its own batch, sent at 15
        await vi.advanceTimersByTimeAsync(20)

        const batchRequests = upstream.requests.filter((request) => request.keys.includes('a'))
        expect(batchRequests.map((request) => request.keys)).toEqual([['a', 'b'], ['a', 'b']])
        expect(upstream.keysSent()).toContainEqual(['c'])
        await expect(a).resolves.toStrictEqual(book('a', { retried: true, batched: 2 }))
        await expect(b).resolves.toEqual({ error: new Error('client went away') })
        await expect(c).resolves.toStrictEqual(book('c'))
        expect(r.observer.retried).toHaveBeenCalledTimes(1)
        expect(r.observer.batchSent.mock.calls.map((call) => call[2]).sort()).toEqual([1, 2]) // once per batch, not per attempt
      })
    })

    it('hedges a slow batch with a request for the same keys', async () => {
      // 20 quick single-key batches warm the host's latency window (a p95 of 1 ms); then a slow one.
      const upstream = scriptedBatch(...Array.from({ length: 20 }, () => booksAfter(1)), booksAfter(300), booksAfter(5))
      const r = rig(upstream.endpoint, { host: { hedge: { enabled: true, minDelayMs: 20, maxRatio: 1, maxLoopLagMs: 100_000, maxLoopUtilization: 1 } } })
      for (let i = 0; i < 20; i++) {
        const warm = r.load(`w${i}`)
        await vi.advanceTimersByTimeAsync(6)
        await warm
      }
      r.observer.batchSent.mockClear()
      const answers = ['a', 'b'].map((key) => r.load(key))
      await vi.advanceTimersByTimeAsync(30) // sent at 5, hedged at 25, the hedge answers at 30

      expect(upstream.keysSent().slice(20)).toEqual([['a', 'b'], ['a', 'b']])
      await expect(Promise.all(answers)).resolves.toStrictEqual([book('a', { hedged: true, batched: 2 }), book('b', { hedged: true, batched: 2 })])
      expect(upstream.requests[20]!.abortReason).toMatchObject({ name: 'AbortError' })
      expect(r.observer.hedgeSent).toHaveBeenCalledTimes(1)
      expect(r.observer.batchSent.mock.calls).toEqual([[NAME, ENDPOINT, 2]]) // once per batch, not per request
    })
  })
})
