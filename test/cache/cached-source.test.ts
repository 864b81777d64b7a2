import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { BookSource } from '../../src/aggregate/call-source.js'
import { gatherSources } from '../../src/aggregate/gather-sources.js'
import type { CacheEntry } from '../../src/cache/cache-entry.js'
import { dataOf } from '../helpers/cache-entry.js'
import { NO_OBSERVER } from '../../src/domain/observer.js'
import type { CacheStore } from '../../src/cache/cache-store.js'
import { CachedSource, type CachedSourceOptions } from '../../src/cache/cached-source.js'
import { MemoryStore } from '../../src/cache/memory-store.js'
import { hashString } from '../../src/domain/string-hash.js'
import type { FetchResult } from '../../src/domain/outcome.js'

const ISBN = '9780441013593'
const OTHER_ISBN = '9780765326355'
const KEY = `reviews:${ISBN}`
const V1 = { averageRating: 4.2, reviews: [{ author: 'a', text: 'old' }] }
const V2 = { averageRating: 4.5, reviews: [{ author: 'b', text: 'new' }] }

const OPTIONS: CachedSourceOptions = {
  name: 'reviews',
  ttlMs: 60_000,
  notFoundTtlMs: 5_000,
  staleWhileRevalidateMs: 30_000,
  maxStaleMs: 300_000,
  refreshTimeoutMs: 1_000
}

// Wall-clock instants relative to the first store, at T0 (freshness runs on Date.now()).
const T0 = Date.UTC(2030, 0, 1)
const REVALIDATE_AT = T0 + OPTIONS.ttlMs + 10_000
const STALE_IF_ERROR_AT = T0 + OPTIONS.ttlMs + OPTIONS.staleWhileRevalidateMs + 10_000
const EXPIRED_AT = T0 + OPTIONS.ttlMs + OPTIONS.maxStaleMs

const STALE_V1: FetchResult = { status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'stale', freshForMs: 0 }

const FAILURES: readonly FetchResult[] = [
  { status: 'error', httpStatus: 503, detail: 'reviews answered 503' },
  { status: 'error', detail: 'connection refused' },
  { status: 'invalid_response', detail: 'reviews sent a body that is not JSON' },
  { status: 'overloaded', detail: 'reviews has 64 calls in flight and 0 queued' },
  { status: 'circuit_open', detail: 'reviews circuit is open after repeated failures; not called' }
]

interface Call {
  readonly isbn13: string
  readonly signal: AbortSignal
  readonly deadlineAt: number
}

interface FakeSource extends BookSource {
  readonly calls: Call[]
  /** What the next calls get; swap it between steps of a test. */
  answer: (call: Call) => FetchResult | Promise<FetchResult>
}

function fakeSource(answer: FakeSource['answer']): FakeSource {
  const source: FakeSource = {
    calls: [],
    answer,
    async fetchBook(isbn13, signal, deadlineAt) {
      const call = { isbn13, signal, deadlineAt }
      source.calls.push(call)
      return source.answer(call)
    }
  }
  return source
}

const answer = (result: FetchResult) => (): FetchResult => result

/** Never answers; rejects with the signal's reason once it aborts, as the HTTP client does. */
function hangUntilAborted(call: Call): Promise<FetchResult> {
  return new Promise<FetchResult>((_resolve, reject) => {
    call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true })
  })
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => { resolve = r })
  return { promise, resolve }
}

const live = (): AbortSignal => new AbortController().signal
/** Lets every pending promise callback run (setImmediate is not faked here). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Polls with real timers (vi.waitFor would move the faked Date on). */
async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUpAt = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > giveUpAt) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function setup(
  first: FakeSource['answer'] = answer({ status: 'ok', data: V1 }),
  options: CachedSourceOptions = OPTIONS
): { inner: FakeSource; store: MemoryStore; cached: CachedSource } {
  const inner = fakeSource(first)
  const store = new MemoryStore(1_000_000)
  return { inner, store, cached: new CachedSource(inner, store, options) }
}

function fetchVia(source: BookSource, isbn13 = ISBN, budgetMs = 1_000): Promise<FetchResult> {
  return source.fetchBook(isbn13, live(), performance.now() + budgetMs)
}

/** The reviews section alone, gathered as a book request gathers it (peek, then fetch). */
function gatherReviews(cached: CachedSource, timeoutMs = 1_000): ReturnType<typeof gatherSources> {
  return gatherSources({
    isbn13: ISBN,
    include: new Set(['reviews']),
    sources: { publisher: cached, reviews: cached, recommendations: cached },
    timeoutsMs: { publisher: timeoutMs, reviews: timeoutMs, recommendations: timeoutMs },
    deadlineMs: 3000,
    signal: live()
  })
}

/** A CachedSource whose store holds V1, stored at T0; the inner source then answers V2. */
async function primed(options: CachedSourceOptions = OPTIONS): Promise<ReturnType<typeof setup>> {
  const parts = setup(answer({ status: 'ok', data: V1 }), options)
  await fetchVia(parts.cached)
  parts.inner.answer = answer({ status: 'ok', data: V2 })
  return parts
}

beforeEach(() => {
  // Only Date: performance.now(), setTimeout and the LRU's clock stay real.
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T0)
})

afterEach(() => {
  vi.useRealTimers()
})

describe('CachedSource: fresh entries', () => {
  it('calls the inner source on a miss and reports the TTL as freshness', async () => {
    const { inner, store, cached } = setup()
    const signal = live()
    const deadlineAt = performance.now() + 800
    const result = await cached.fetchBook(ISBN, signal, deadlineAt)

    expect(result).toEqual({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'miss', freshForMs: 60_000 })
    expect(inner.calls).toHaveLength(1)
    expect(inner.calls[0]).toMatchObject({ isbn13: ISBN, signal, deadlineAt })
    expect(store.peek(KEY)).toEqual({ status: 'ok', json: JSON.stringify(V1), storedAt: T0, ttlMs: 60_000 })
  })

  it('stores ok answers for the TTL plus the longer stale window', async () => {
    const { store, cached } = setup()
    const set = vi.spyOn(store, 'set')
    await fetchVia(cached)
    expect(set).toHaveBeenCalledTimes(1)
    expect(set).toHaveBeenCalledWith(KEY, { status: 'ok', json: JSON.stringify(V1), storedAt: T0, ttlMs: 60_000 }, 60_000 + 300_000, true, hashString(KEY))
  })

  it('answers the second call from the cache without calling the inner source', async () => {
    const { inner, cached } = setup()
    await fetchVia(cached)
    const second = await fetchVia(cached)
    expect(second).toMatchObject({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'hit' })
    expect(second.freshForMs).toBeLessThanOrEqual(60_000)
    expect(inner.calls).toHaveLength(1)
  })

  it('counts freshForMs down as the entry ages, and stays a hit until the TTL ends', async () => {
    const { inner, cached } = setup()
    await fetchVia(cached)
    vi.setSystemTime(T0 + 20_000)
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'hit', freshForMs: 40_000 })
    vi.setSystemTime(T0 + 60_000 - 1)
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'hit', freshForMs: 1 })
    expect(inner.calls).toHaveLength(1)
  })

  it('caches each ISBN separately', async () => {
    const { inner, cached } = setup()
    await fetchVia(cached, ISBN)
    await expect(fetchVia(cached, OTHER_ISBN)).resolves.toMatchObject({ cache: 'miss' })
    expect(inner.calls.map((c) => c.isbn13)).toEqual([ISBN, OTHER_ISBN])
  })

  it('keys entries by source name, so sources sharing a store do not collide', async () => {
    const { store, cached } = setup()
    await fetchVia(cached)
    const publisherInner = fakeSource(answer({ status: 'ok', data: { publisher: 'Ace' } }))
    const publisher = new CachedSource(publisherInner, store, { ...OPTIONS, name: 'publisher' })
    await expect(fetchVia(publisher)).resolves.toMatchObject({ data: { publisher: 'Ace' }, cache: 'miss' })
    expect(publisherInner.calls).toHaveLength(1)
    expect(dataOf(store.peek(`publisher:${ISBN}`))).toEqual({ publisher: 'Ace' })
    expect(dataOf(store.peek(KEY))).toEqual(V1)
  })

  it('works with a store that has no synchronous peek', async () => {
    const memory = new MemoryStore(1_000_000)
    const asyncOnly: CacheStore = {
      get: (key) => memory.get(key),
      set: (key, entry, retention) => memory.set(key, entry, retention)
    }
    const inner = fakeSource(answer({ status: 'ok', data: V1 }))
    const cached = new CachedSource(inner, asyncOnly, OPTIONS)
    await expect(fetchVia(cached)).resolves.toMatchObject({ cache: 'miss' })
    await expect(fetchVia(cached)).resolves.toMatchObject({ data: V1, json: JSON.stringify(V1), cache: 'hit' })
    expect(inner.calls).toHaveLength(1)
  })

  it('does not wait for a slow store to accept the write', async () => {
    const inner = fakeSource(answer({ status: 'ok', data: V1 }))
    const neverDone: CacheStore = {
      get: async () => undefined,
      set: () => new Promise<void>(() => {})
    }
    const cached = new CachedSource(inner, neverDone, OPTIONS)
    await expect(fetchVia(cached)).resolves.toMatchObject({ status: 'ok', cache: 'miss' })
  })
})

describe('CachedSource: not_found', () => {
  it('caches not_found for notFoundTtlMs only, then asks again', async () => {
    const { inner, store, cached } = setup(answer({ status: 'not_found' }))
    const set = vi.spyOn(store, 'set')

    await expect(fetchVia(cached)).resolves.toEqual({ status: 'not_found', cache: 'miss', freshForMs: 5_000 })
    expect(set).toHaveBeenCalledWith(KEY, { status: 'not_found', storedAt: T0, ttlMs: 5_000 }, 5_000, true, hashString(KEY))

    vi.setSystemTime(T0 + 4_000)
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'not_found', cache: 'hit', freshForMs: 1_000 })
    expect(inner.calls).toHaveLength(1)

    // The book has appeared since: after the short TTL the upstream is asked again.
    vi.setSystemTime(T0 + 5_000)
    inner.answer = answer({ status: 'ok', data: V1 })
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'miss', freshForMs: 60_000 })
    expect(inner.calls).toHaveLength(2)
  })

  it('never serves an old not_found stale: once past its TTL, a failing upstream fails', async () => {
    const { inner, cached } = setup(answer({ status: 'not_found' }))
    await fetchVia(cached)
    vi.setSystemTime(T0 + 5_000 + 1_000)
    const failure: FetchResult = { status: 'error', detail: 'connection refused' }
    inner.answer = answer(failure)
    await expect(fetchVia(cached)).resolves.toEqual({ ...failure, cache: 'miss' })
    expect(inner.calls).toHaveLength(2)
  })
})

describe('CachedSource: failures are never cached', () => {
  it.each(FAILURES)('passes $status ($detail) through on every call', async (failure) => {
    const { inner, store, cached } = setup(answer(failure))
    for (let i = 0; i < 3; i++) {
      const result = await fetchVia(cached)
      expect(result).toEqual({ ...failure, cache: 'miss' })
      expect(result).not.toHaveProperty('freshForMs')
    }
    expect(inner.calls).toHaveLength(3)
    expect(store.peek(KEY)).toBeUndefined()
  })

  it('lets a rejection from the inner source through on a miss, and caches nothing', async () => {
    const { inner, store, cached } = setup(() => Promise.reject(new Error('boom')))
    await expect(fetchVia(cached)).rejects.toThrow('boom')
    expect(inner.calls).toHaveLength(1)
    expect(store.size).toBe(0)
  })
})

describe('CachedSource: stale-while-revalidate', () => {
  it('serves the old value at once and runs exactly one background refresh for 10 concurrent calls', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(REVALIDATE_AT)
    const refresh = deferred<FetchResult>()
    inner.answer = () => refresh.promise

    // The refresh is still pending: every caller got the stale value without waiting for it.
    const results = await Promise.all(Array.from({ length: 10 }, () => fetchVia(cached)))
    for (const result of results) expect(result).toEqual(STALE_V1)
    expect(inner.calls).toHaveLength(2)

    refresh.resolve({ status: 'ok', data: V2 })
    await flush()
    expect(dataOf(store.peek(KEY))).toEqual(V2)
    expect(store.peek(KEY)?.storedAt).toBe(REVALIDATE_AT)

    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V2, json: JSON.stringify(V2), cache: 'hit', freshForMs: 60_000 })
    expect(inner.calls).toHaveLength(2)
  })

  it('gives the refresh its own signal and budget, so the caller going away does not cancel it', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(REVALIDATE_AT)
    const refresh = deferred<FetchResult>()
    inner.answer = () => refresh.promise

    const caller = new AbortController()
    const before = performance.now()
    await expect(cached.fetchBook(ISBN, caller.signal, performance.now() + 50)).resolves.toEqual(STALE_V1)
    caller.abort(new Error('client went away'))

    const refreshCall = inner.calls[1]!
    expect(refreshCall.signal).not.toBe(caller.signal)
    expect(refreshCall.signal.aborted).toBe(false)
    expect(refreshCall.deadlineAt).toBeGreaterThanOrEqual(before + OPTIONS.refreshTimeoutMs)
    expect(refreshCall.deadlineAt).toBeLessThanOrEqual(performance.now() + OPTIONS.refreshTimeoutMs)

    refresh.resolve({ status: 'ok', data: V2 })
    await flush()
    expect(dataOf(store.peek(KEY))).toEqual(V2)
  })

  it('keeps the old value when the refresh fails, and tries again on the next call', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(REVALIDATE_AT)
    inner.answer = answer({ status: 'error', httpStatus: 500, detail: 'reviews answered 500' })

    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    await flush()
    expect(inner.calls).toHaveLength(2)
    expect(store.peek(KEY)).toMatchObject({ json: JSON.stringify(V1), storedAt: T0 })

    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    await flush()
    expect(inner.calls).toHaveLength(3)
  })

  it('survives a refresh that rejects', async () => {
    const { inner, cached } = await primed()
    vi.setSystemTime(REVALIDATE_AT)
    inner.answer = () => Promise.reject(new Error('boom'))
    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    await flush()
    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    await flush()
    expect(inner.calls).toHaveLength(3)
  })

  it('aborts a refresh that outlives refreshTimeoutMs, then lets the next call start another', async () => {
    const { inner, cached } = await primed({ ...OPTIONS, refreshTimeoutMs: 50 })
    vi.setSystemTime(REVALIDATE_AT)
    inner.answer = hangUntilAborted

    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    const first = inner.calls[1]!
    expect(first.signal.aborted).toBe(false)
    // While it is in flight, no second refresh starts.
    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    expect(inner.calls).toHaveLength(2)

    await until(() => first.signal.aborted)
    expect((first.signal.reason as DOMException).name).toBe('TimeoutError')
    await flush()

    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    expect(inner.calls).toHaveLength(3)
    await until(() => inner.calls[2]!.signal.aborted)
    await flush()
  })

  it('refreshes each key on its own', async () => {
    const { inner, cached } = await primed()
    await fetchVia(cached, OTHER_ISBN)
    vi.setSystemTime(REVALIDATE_AT)
    await Promise.all([fetchVia(cached, ISBN), fetchVia(cached, OTHER_ISBN), fetchVia(cached, ISBN)])
    await flush()
    expect(inner.calls.slice(2).map((c) => c.isbn13).sort()).toEqual([ISBN, OTHER_ISBN].sort())
  })
})

describe('CachedSource: stale-if-error', () => {
  it.each(FAILURES)('serves the stale value when the upstream answers $status ($detail)', async (failure) => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    inner.answer = answer(failure)

    await expect(fetchVia(cached)).resolves.toEqual(STALE_V1)
    expect(inner.calls).toHaveLength(2)
    // The failure is not cached over the old value.
    expect(store.peek(KEY)).toMatchObject({ json: JSON.stringify(V1), storedAt: T0 })
  })

  it('waits for the upstream (no background refresh) and serves a success as a fresh miss', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)

    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V2, json: JSON.stringify(V2), cache: 'miss', freshForMs: 60_000 })
    expect(inner.calls).toHaveLength(2)
    expect(store.peek(KEY)).toEqual({ status: 'ok', json: JSON.stringify(V2), storedAt: STALE_IF_ERROR_AT, ttlMs: 60_000 })

    await expect(fetchVia(cached)).resolves.toMatchObject({ data: V2, json: JSON.stringify(V2), cache: 'hit' })
    expect(inner.calls).toHaveLength(2)
  })

  it('believes a not_found from the upstream over the stale value', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    inner.answer = answer({ status: 'not_found' })
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'not_found', cache: 'miss', freshForMs: 5_000 })
    expect(store.peek(KEY)).toMatchObject({ status: 'not_found' })
  })

  it('serves the stale value shortly before the deadline when the upstream hangs, then aborts the call', async () => {
    const { inner, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    inner.answer = hangUntilAborted

    const started = performance.now()
    const deadlineAt = started + 150
    const result = await cached.fetchBook(ISBN, live(), deadlineAt)
    const elapsed = performance.now() - started

    expect(result).toEqual(STALE_V1)
    // It did wait for the upstream (not served at once), but not past the deadline's margin.
    expect(elapsed).toBeGreaterThanOrEqual(100)
    expect(elapsed).toBeLessThan(1_000)
    const call = inner.calls[1]!
    expect(call.deadlineAt).toBe(deadlineAt)
    expect(call.signal.aborted).toBe(true)
    expect((call.signal.reason as DOMException).name).toBe('TimeoutError')
  })

  it('wins the race against the section\'s own timeout at the same deadline', async () => {
    const { inner, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    inner.answer = hangUntilAborted

    const { reviews: outcome } = await gatherReviews(cached, 150)
    expect(outcome).toMatchObject({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'stale', freshForMs: 0 })
    expect(outcome.durationMs).toBeLessThan(150)
    expect(inner.calls[1]!.signal.aborted).toBe(true)
  })

  it('serves stale at once when the deadline is already (almost) over', async () => {
    const { inner, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    inner.answer = hangUntilAborted
    const started = performance.now()
    await expect(cached.fetchBook(ISBN, live(), started + 5)).resolves.toEqual(STALE_V1)
    expect(performance.now() - started).toBeLessThan(500)
    expect(inner.calls[1]!.signal.aborted).toBe(true)
  })

  it('passes the caller\'s abort on to the upstream call', async () => {
    const { inner, cached } = await primed()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    inner.answer = hangUntilAborted

    const caller = new AbortController()
    const pending = cached.fetchBook(ISBN, caller.signal, performance.now() + 5_000)
    await flush()
    const reason = new Error('client went away')
    caller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    expect(inner.calls[1]!.signal.aborted).toBe(true)
    expect(inner.calls[1]!.signal.reason).toBe(reason)
  })

  it('does not serve stale values past maxStale: the failure comes back as is', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(EXPIRED_AT)
    // Still in the store (its clock is real): only the age decides.
    expect(store.peek(KEY)).toBeDefined()
    const failure: FetchResult = { status: 'error', httpStatus: 503, detail: 'reviews answered 503' }
    inner.answer = answer(failure)

    await expect(fetchVia(cached)).resolves.toEqual({ ...failure, cache: 'miss' })
    expect(inner.calls).toHaveLength(2)
  })

  it('treats an entry past maxStale as a plain miss when the upstream answers', async () => {
    const { inner, store, cached } = await primed()
    vi.setSystemTime(EXPIRED_AT + 1_000)
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V2, json: JSON.stringify(V2), cache: 'miss', freshForMs: 60_000 })
    expect(inner.calls).toHaveLength(2)
    expect(store.peek(KEY)).toMatchObject({ json: JSON.stringify(V2), storedAt: EXPIRED_AT + 1_000 })
  })
})

describe('CachedSource with an entry from the shared store', () => {
  it('serves an entry stored by another replica by its storedAt, not by when it arrived here', async () => {
    const store = new MemoryStore(1_000_000)
    const entry: CacheEntry = { status: 'ok', json: JSON.stringify(V1), storedAt: T0 - 50_000, ttlMs: 60_000 }
    await store.set(KEY, entry, 360_000)
    const inner = fakeSource(answer({ status: 'ok', data: V2 }))
    const cached = new CachedSource(inner, store, OPTIONS)
    await expect(fetchVia(cached)).resolves.toEqual({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'hit', freshForMs: 10_000 })
    expect(inner.calls).toHaveLength(0)
  })
})

describe('CachedSource.peekFresh: answers at hand, without a call', () => {
  it('gives a fresh entry as a hit, and counts it', async () => {
    const { inner, store } = setup()
    const seen: string[] = []
    const cached = new CachedSource(inner, store, OPTIONS, { ...NO_OBSERVER, cache: (_source, state) => seen.push(state) })
    expect(cached.peekFresh(ISBN)).toBeUndefined() // nothing stored yet
    await fetchVia(cached)
    vi.setSystemTime(T0 + 20_000)

    expect(cached.peekFresh(ISBN)).toEqual({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'hit', freshForMs: 40_000 })
    expect(inner.calls).toHaveLength(1)
    expect(seen).toEqual(['miss', 'hit'])
  })

  it('looks the key up once for a peek and the fetch that follows it', async () => {
    const { inner, store, cached } = setup()
    const peek = vi.spyOn(store, 'peek')
    expect(cached.peekFresh(ISBN)).toBeUndefined()
    await expect(fetchVia(cached)).resolves.toMatchObject({ status: 'ok', cache: 'miss' })
    expect(peek).toHaveBeenCalledTimes(1)
    // The hash the cache computes from the ISBN alone is the key's own.
    expect(peek).toHaveBeenCalledWith(KEY, hashString(KEY))
    expect(inner.calls).toHaveLength(1)
    // Another book's fetch after the peek looks up its own key.
    expect(cached.peekFresh(ISBN)).toBeDefined()
    await expect(fetchVia(cached, OTHER_ISBN)).resolves.toMatchObject({ status: 'ok', cache: 'miss' })
    expect(peek).toHaveBeenCalledTimes(3)
    expect(inner.calls.map((call) => call.isbn13)).toEqual([ISBN, OTHER_ISBN])
  })

  it('does not trust a peek once the store was written after it: the fetch sees the new entry', async () => {
    const { inner, store, cached } = setup()
    expect(cached.peekFresh(ISBN)).toBeUndefined()
    // Written behind the peek's back (another section's source sharing the store, say).
    await store.set(KEY, { status: 'ok', json: JSON.stringify(V2), storedAt: T0, ttlMs: 60_000 }, 60_000)
    await expect(fetchVia(cached)).resolves.toMatchObject({ status: 'ok', data: V2, cache: 'hit' })
    expect(inner.calls).toHaveLength(0)
  })

  it('through gatherSources, fetches a miss the peek found, keeps it and reports it as a miss', async () => {
    const { inner, cached } = setup()
    const { reviews: missed } = await gatherReviews(cached)
    expect(missed).toMatchObject({ status: 'ok', data: V1, json: JSON.stringify(V1), cache: 'miss', freshForMs: 60_000 })
    const { reviews: hit } = await gatherReviews(cached)
    expect(hit).toMatchObject({ status: 'ok', data: V1, cache: 'hit', durationMs: 0 })
    expect(inner.calls).toHaveLength(1)
  })

  it('through gatherSources, settles a miss whose upstream rejects or throws as a failure, and keeps nothing', async () => {
    const rejecting = setup(() => Promise.reject(new Error('boom')))
    const throwing = setup()
    throwing.inner.fetchBook = () => { throw new Error('thrown before any promise') }
    // Data no JSON can carry: serializing it for the cache throws.
    const unserializable = setup(answer({ status: 'ok', data: { count: 1n } }))
    for (const { store, cached } of [rejecting, throwing, unserializable]) {
      const { reviews: outcome } = await gatherReviews(cached)
      expect(outcome).toMatchObject({ status: 'error', detail: 'reviews failed unexpectedly' })
      expect(store.size).toBe(0)
    }
  })

  it('has nothing at hand once the entry is past its TTL: stale answers need the full path', async () => {
    const { cached } = await primed()
    vi.setSystemTime(REVALIDATE_AT)
    expect(cached.peekFresh(ISBN)).toBeUndefined()
    vi.setSystemTime(STALE_IF_ERROR_AT)
    expect(cached.peekFresh(ISBN)).toBeUndefined()
  })
})
