import { describe, it, expect } from 'vitest'
import { gatherSources, type BookSources, type GatherOptions } from '../../src/aggregate/gather-sources.js'
import type { BookSource } from '../../src/aggregate/call-source.js'
import type { FetchResult, SourceOutcome } from '../../src/domain/outcome.js'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'

const ISBN = '9780441013593'

interface FakeSource extends BookSource {
  calls: Array<{ isbn13: string; signal: AbortSignal; abortedAt?: number }>
}

/** Answers `result` after `ms` (never, if `ms` is Infinity); `honour` decides whether abort is heard. */
function fake(ms: number, result: FetchResult, honour = true): FakeSource {
  const calls: FakeSource['calls'] = []
  return {
    calls,
    fetchBook(isbn13, signal) {
      const call: FakeSource['calls'][number] = { isbn13, signal }
      calls.push(call)
      signal.addEventListener('abort', () => { call.abortedAt = performance.now() }, { once: true })
      return new Promise<FetchResult>((resolve, reject) => {
        const timer = Number.isFinite(ms) ? setTimeout(() => resolve(result), ms) : undefined
        if (honour) {
          signal.addEventListener('abort', () => {
            clearTimeout(timer)
            reject(signal.reason)
          }, { once: true })
        }
      })
    }
  }
}

const okAfter = (ms: number, data: unknown = { ms }): FakeSource => fake(ms, { status: 'ok', data })
const hanging = (): FakeSource => fake(Infinity, { status: 'not_found' })
const deaf = (): FakeSource => fake(Infinity, { status: 'not_found' }, false)

const ALL: ReadonlySet<SourceName> = new Set(SOURCE_NAMES)

function options(sources: BookSources, overrides: Partial<GatherOptions> = {}): GatherOptions {
  return {
    isbn13: ISBN,
    include: ALL,
    sources,
    timeoutsMs: { publisher: 1000, reviews: 1000, recommendations: 1000 },
    deadlineMs: 3000,
    signal: new AbortController().signal,
    ...overrides
  }
}

describe('gatherSources', () => {
  it('calls the sources concurrently: total is about the slowest, not the sum', async () => {
    const sources = { publisher: okAfter(100, 'p'), reviews: okAfter(150, 'r'), recommendations: okAfter(200, 'c') }
    const started = performance.now()
    const outcomes = await gatherSources(options(sources))
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(190)
    expect(took).toBeLessThan(400)
    expect(outcomes.publisher).toMatchObject({ status: 'ok', data: 'p' })
    expect(outcomes.reviews).toMatchObject({ status: 'ok', data: 'r' })
    expect(outcomes.recommendations).toMatchObject({ status: 'ok', data: 'c' })
    expect(outcomes.recommendations.durationMs).toBeGreaterThanOrEqual(190)
    for (const source of Object.values(sources)) {
      expect(source.calls).toHaveLength(1)
      expect(source.calls[0]?.isbn13).toBe(ISBN)
    }
  })

  it('gives a hanging source its own timeout while the others answer', async () => {
    const sources = { publisher: okAfter(20), reviews: hanging(), recommendations: fake(30, { status: 'not_found' }) }
    const started = performance.now()
    const outcomes = await gatherSources(options(sources, { timeoutsMs: { publisher: 1000, reviews: 100, recommendations: 1000 } }))
    const took = performance.now() - started
    expect(outcomes.publisher.status).toBe('ok')
    expect(outcomes.recommendations.status).toBe('not_found')
    expect(outcomes.reviews).toEqual({ status: 'timeout', durationMs: outcomes.reviews.durationMs, detail: 'reviews did not answer within 100 ms' })
    expect(outcomes.reviews.durationMs).toBeGreaterThanOrEqual(95)
    expect(took).toBeGreaterThanOrEqual(95)
    expect(took).toBeLessThan(500)
    expect(sources.reviews.calls[0]?.signal.aborted).toBe(true)
    expect(sources.publisher.calls[0]?.signal.aborted).toBe(false)
  })

  it('settles a source that ignores its signal as timeout too', async () => {
    const sources = { publisher: okAfter(10), reviews: okAfter(10), recommendations: deaf() }
    const started = performance.now()
    const outcomes = await gatherSources(options(sources, { timeoutsMs: { publisher: 1000, reviews: 1000, recommendations: 80 } }))
    expect(outcomes.recommendations.status).toBe('timeout')
    expect(outcomes.recommendations.detail).toBe('recommendations did not answer within 80 ms')
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('caps each per-source timeout by deadlineMs', async () => {
    const sources = { publisher: hanging(), reviews: deaf(), recommendations: okAfter(10) }
    const started = performance.now()
    const outcomes = await gatherSources(options(sources, {
      timeoutsMs: { publisher: 5000, reviews: 5000, recommendations: 5000 },
      deadlineMs: 80
    }))
    const took = performance.now() - started
    expect(outcomes.publisher).toMatchObject({ status: 'timeout', detail: 'publisher did not answer within 80 ms' })
    expect(outcomes.reviews).toMatchObject({ status: 'timeout', detail: 'reviews did not answer within 80 ms' })
    expect(outcomes.recommendations.status).toBe('ok')
    expect(took).toBeGreaterThanOrEqual(75)
    expect(took).toBeLessThan(500)
  })

  it('keeps a per-source timeout shorter than the deadline', async () => {
    const sources = { publisher: hanging(), reviews: okAfter(5), recommendations: okAfter(5) }
    const outcomes = await gatherSources(options(sources, { timeoutsMs: { publisher: 50, reviews: 1000, recommendations: 1000 }, deadlineMs: 2000 }))
    expect(outcomes.publisher.detail).toBe('publisher did not answer within 50 ms')
  })

  it('turns a throwing source into an error in its own slot and still resolves', async () => {
    const throwing: BookSource = { fetchBook: () => Promise.reject(new Error('socket hang up')) }
    const outcomes = await gatherSources(options({ publisher: okAfter(10, 'p'), reviews: throwing, recommendations: okAfter(10, 'c') }))
    expect(outcomes.reviews).toMatchObject({ status: 'error', detail: 'reviews failed unexpectedly' })
    expect(outcomes.publisher).toMatchObject({ status: 'ok', data: 'p' })
    expect(outcomes.recommendations).toMatchObject({ status: 'ok', data: 'c' })
  })

  it('turns a source that throws synchronously into an error in its own slot, without its message', async () => {
    const throwing: BookSource = {
      fetchBook() {
        throw new TypeError('internal stack detail')
      }
    }
    const outcomes = await gatherSources(options({ publisher: throwing, reviews: okAfter(10, 'r'), recommendations: okAfter(10, 'c') }))
    expect(outcomes.publisher).toEqual({ status: 'error', durationMs: outcomes.publisher.durationMs, detail: 'publisher failed unexpectedly' })
    expect(JSON.stringify(outcomes)).not.toContain('internal stack detail')
    expect(outcomes.reviews).toMatchObject({ status: 'ok', data: 'r' })
  })

  it('times out every section that shares a timeout at once, and passes each call its own signal', async () => {
    const parent = new AbortController().signal
    const sources = { publisher: hanging(), reviews: deaf(), recommendations: okAfter(10, 'c') }
    const outcomes = await gatherSources(options(sources, { signal: parent, timeoutsMs: { publisher: 60, reviews: 60, recommendations: 60 } }))
    expect(outcomes.publisher).toMatchObject({ status: 'timeout', detail: 'publisher did not answer within 60 ms' })
    expect(outcomes.reviews).toMatchObject({ status: 'timeout', detail: 'reviews did not answer within 60 ms' })
    expect(outcomes.recommendations).toMatchObject({ status: 'ok', data: 'c' })
    const signals = SOURCE_NAMES.map((name) => sources[name].calls[0]?.signal)
    expect(new Set(signals).size).toBe(3)
    expect(signals).not.toContain(parent)
    expect(parent.aborted).toBe(false)
    expect((signals[0]?.reason as DOMException).name).toBe('TimeoutError')
    // The call that answered keeps a live signal: a timeout of the others does not reach it.
    expect(signals[2]?.aborted).toBe(false)
  })

  it('gives every aborted call the parent\'s reason', async () => {
    const controller = new AbortController()
    const sources = { publisher: hanging(), reviews: hanging(), recommendations: okAfter(5) }
    setTimeout(() => controller.abort(new Error('client went away')), 30)
    await gatherSources(options(sources, { signal: controller.signal }))
    expect(sources.publisher.calls[0]?.signal.reason).toEqual(new Error('client went away'))
    expect(sources.reviews.calls[0]?.signal.reason).toEqual(new Error('client went away'))
    expect(sources.recommendations.calls[0]?.signal.aborted).toBe(false)
  })

  it('aborting the parent signal aborts every in-flight call at once and gathering still resolves', async () => {
    const controller = new AbortController()
    const sources = { publisher: hanging(), reviews: deaf(), recommendations: hanging() }
    const started = performance.now()
    setTimeout(() => controller.abort(), 50)
    const outcomes = await gatherSources(options(sources, { signal: controller.signal }))
    const took = performance.now() - started
    expect(took).toBeLessThan(500)
    const abortTimes: number[] = []
    for (const name of SOURCE_NAMES) {
      const call = sources[name].calls[0]
      expect(call?.signal.aborted, name).toBe(true)
      expect(call?.abortedAt, name).toBeDefined()
      abortTimes.push(call?.abortedAt ?? Number.NaN)
      expect(outcomes[name], name).toMatchObject({ status: 'error', detail: 'the request was cancelled' })
    }
    // "At once": all three signals aborted in the same tick, well before any timeout.
    expect(Math.max(...abortTimes) - Math.min(...abortTimes)).toBeLessThan(20)
    expect(Math.min(...abortTimes) - started).toBeGreaterThanOrEqual(40)
  })

  it('does not abort calls that already finished when the parent aborts later', async () => {
    const controller = new AbortController()
    const sources = { publisher: okAfter(10), reviews: hanging(), recommendations: okAfter(10) }
    setTimeout(() => controller.abort(), 60)
    const outcomes = await gatherSources(options(sources, { signal: controller.signal }))
    expect(outcomes.publisher.status).toBe('ok')
    expect(outcomes.recommendations.status).toBe('ok')
    expect(outcomes.reviews.status).toBe('error')
    expect(sources.publisher.calls[0]?.signal.aborted).toBe(false)
    expect(sources.recommendations.calls[0]?.signal.aborted).toBe(false)
  })

  it('with an already-aborted parent calls nobody', async () => {
    const controller = new AbortController()
    controller.abort()
    const sources = { publisher: okAfter(10), reviews: okAfter(10), recommendations: okAfter(10) }
    const outcomes = await gatherSources(options(sources, { signal: controller.signal }))
    for (const name of SOURCE_NAMES) {
      expect(sources[name].calls, name).toHaveLength(0)
      expect(outcomes[name].status, name).toBe('error')
    }
  })

  it('reports a not-included source as skipped, never calls it and does not announce it', async () => {
    const sources = { publisher: okAfter(10), reviews: okAfter(10), recommendations: okAfter(10) }
    const settled: SourceName[] = []
    const outcomes = await gatherSources(options(sources, {
      include: new Set<SourceName>(['reviews']),
      onSettled: (name) => settled.push(name)
    }))
    expect(outcomes.publisher).toEqual({ status: 'skipped', durationMs: 0 })
    expect(outcomes.recommendations).toEqual({ status: 'skipped', durationMs: 0 })
    expect(outcomes.reviews.status).toBe('ok')
    expect(sources.publisher.calls).toHaveLength(0)
    expect(sources.recommendations.calls).toHaveLength(0)
    expect(sources.reviews.calls).toHaveLength(1)
    expect(settled).toEqual(['reviews'])
  })

  it('calls onSettled once per included source, in completion order, with its outcome', async () => {
    const sources = { publisher: okAfter(150, 'p'), reviews: okAfter(20, 'r'), recommendations: fake(80, { status: 'not_found' }) }
    const settled: Array<{ name: SourceName; outcome: SourceOutcome; at: number }> = []
    const started = performance.now()
    const outcomes = await gatherSources(options(sources, {
      onSettled: (name, outcome) => settled.push({ name, outcome, at: performance.now() - started })
    }))
    expect(settled.map((s) => s.name)).toEqual(['reviews', 'recommendations', 'publisher'])
    for (const { name, outcome } of settled) expect(outcome).toBe(outcomes[name])
    // Announced as each settles, not all at the end.
    expect(settled[0]?.at).toBeLessThan(120)
  })

  it('takes a fresh answer a source has at hand without calling it, and keeps the keys in order', async () => {
    const freshPublisher: FakeSource = { ...okAfter(500, 'slow call'), peekFresh: () => ({ status: 'ok', data: 'at hand', cache: 'hit', freshForMs: 1000 }) }
    const notAtHand: FakeSource = { ...okAfter(20, 'fetched'), peekFresh: () => undefined }
    const settledInOrder: SourceName[] = []
    const started = performance.now()
    const outcomes = await gatherSources(options(
      { publisher: freshPublisher, reviews: notAtHand, recommendations: okAfter(10, 'plain') },
      { onSettled: (name) => settledInOrder.push(name) }
    ))

    expect(performance.now() - started).toBeLessThan(400) // the 500 ms call was never made
    expect(freshPublisher.calls).toHaveLength(0)
    expect(notAtHand.calls).toHaveLength(1)
    expect(outcomes.publisher).toEqual({ status: 'ok', data: 'at hand', cache: 'hit', freshForMs: 1000, durationMs: 0 })
    expect(outcomes.reviews).toMatchObject({ status: 'ok', data: 'fetched' })
    expect(settledInOrder).toEqual(['publisher', 'recommendations', 'reviews'])
    expect(Object.keys(outcomes)).toEqual(['publisher', 'reviews', 'recommendations'])
  })
})
