import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { randomIsbn13 } from '../../bench/isbn.js'
import { sameLatency } from '../../bench/latency.js'
import { startMock, type MockUpstream } from '../../bench/mock-control.js'
import { parseMaxRps, SlidingWindowLimit } from '../../bench/mock-rate-limit.js'
import { stopAll } from '../../bench/processes.js'

// MOCK_MAX_RPS: the sliding window on a fake clock, then one real mock process answering 429.

describe('SlidingWindowLimit', () => {
  it('admits max requests in any window and the next one only when the oldest has left it', () => {
    let now = 0
    const limit = SlidingWindowLimit.perSecond(3, () => now)
    const admitted = (at: number): boolean => {
      now = at
      return limit.tryAdmit()
    }
    expect([0, 100, 200, 300, 999].map(admitted)).toEqual([true, true, true, false, false])
    // 1000 ms after the first: its place is free again, the others' not yet.
    expect([1000, 1001, 1100, 1199, 1200].map(admitted)).toEqual([true, false, true, false, true])
  })

  it('does not spend the quota on refused requests', () => {
    let now = 0
    const limit = new SlidingWindowLimit(1, 1000, () => now)
    expect(limit.tryAdmit()).toBe(true)
    for (now = 10; now < 1000; now += 10) expect(limit.tryAdmit()).toBe(false)
    now = 1000
    expect(limit.tryAdmit()).toBe(true)
  })

  it('reads a rate below 1 as one request per 1/rate seconds', () => {
    const limit = SlidingWindowLimit.perSecond(0.5)
    expect({ max: limit.max, windowMs: limit.windowMs }).toEqual({ max: 1, windowMs: 2000 })
  })

  it('parses MOCK_MAX_RPS: unset is no limit, anything but a positive number is refused', () => {
    expect(parseMaxRps(undefined)).toBeUndefined()
    expect(parseMaxRps(' ')).toBeUndefined()
    expect(parseMaxRps('3')).toBe(3)
    expect(() => parseMaxRps('0')).toThrow(/MOCK_MAX_RPS/)
    expect(() => parseMaxRps('fast')).toThrow(/MOCK_MAX_RPS/)
  })
})

describe('mock upstream with MOCK_MAX_RPS', () => {
  let mock: MockUpstream | undefined

  afterAll(async () => {
    await mock?.stop()
    await stopAll()
  })

  it('answers 429 with Retry-After beyond the limit on each port, singles and batches alike', async () => {
    mock = await startMock(sameLatency(0), { maxRps: 3 })
    const get = async (path: string, source: 'publisher' | 'reviews' = 'publisher') => {
      const res = await request(`${mock?.urls[source]}${path}`)
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.json() }
    }
    const statuses: number[] = []
    // Inside one second (the 0 ms mock answers at once): 3 served, the rest refused.
    for (let i = 0; i < 4; i++) statuses.push((await get(`/books/${randomIsbn13()}`)).status)
    const refusedBatch = await get(`/books?isbn=${randomIsbn13()}`)
    // Another port has its own quota.
    const otherPort = await get(`/books/${randomIsbn13()}`, 'reviews')

    expect(statuses).toEqual([200, 200, 200, 429])
    expect(refusedBatch.status).toBe(429)
    expect(refusedBatch.retryAfter).toBe('1')
    expect(refusedBatch.body).toMatchObject({ error: 'rate limited' })
    expect(otherPort.status).toBe(200)
    const stats = await mock.stats()
    expect(stats.maxRps).toBe(3)
    expect(stats.rejected429).toEqual({ publisher: 2, reviews: 0, recommendations: 0 })
    expect(stats.calls).toEqual({ publisher: 3, reviews: 1, recommendations: 0 })
  })
})
