import { request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { drawFault, isFlapFailing, parseFaults, soakFaults, type FaultSpec } from '../../bench/faults.js'
import { randomIsbn13 } from '../../bench/isbn.js'
import { sameLatency } from '../../bench/latency.js'
import { startMock, type MockUpstream } from '../../bench/mock-control.js'
import { stopAll } from '../../bench/processes.js'
import { ResponseTally } from '../../bench/soak-tally.js'

// The soak's fault injection: the draw, the spec parsing, the response tally, and one real
// mock process whose hangs are released when the client gives up.

/** A deterministic `random` returning the given values in turn. */
function sequence(...values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length] as number
}

describe('drawFault', () => {
  const spec: FaultSpec = { hangPercent: 1, errorPercent: 5, errorStatuses: [500, 503], slowPercent: 10, slowMs: 300 }

  it('splits the roll into hang, error, slow and ok by share', () => {
    expect(drawFault(spec, 0, sequence(0.005))).toEqual({ outcome: 'hang' })
    expect(drawFault(spec, 0, sequence(0.03, 0.9))).toEqual({ outcome: 'error', status: 503 })
    expect(drawFault(spec, 0, sequence(0.03, 0.1))).toEqual({ outcome: 'error', status: 500 })
    expect(drawFault(spec, 0, sequence(0.1))).toEqual({ outcome: 'slow', delayMs: 300 })
    expect(drawFault(spec, 0, sequence(0.5))).toEqual({ outcome: 'ok' })
    expect(drawFault(undefined, 0, sequence(0))).toEqual({ outcome: 'ok' })
  })

  it('draws roughly the declared shares', () => {
    const counts: Record<string, number> = {}
    for (let i = 0; i < 100_000; i++) {
      const { outcome } = drawFault(spec, 0)
      counts[outcome] = (counts[outcome] ?? 0) + 1
    }
    expect(counts.hang).toBeGreaterThan(700)
    expect(counts.hang).toBeLessThan(1300)
    expect(counts.error).toBeGreaterThan(4500)
    expect(counts.error).toBeLessThan(5500)
    expect(counts.slow).toBeGreaterThan(9300)
    expect(counts.slow).toBeLessThan(10_700)
  })

  it('flaps: healthy first, then every call fails, by status or reset', () => {
    const flap = { healthyMs: 5000, failingMs: 5000 }
    expect([0, 4999, 5000, 9999, 10_000, 15_001].map((t) => isFlapFailing(flap, t))).toEqual([false, false, true, true, false, true])
    const flapping: FaultSpec = { flap: { ...flap, failWith: 'mixed', status: 503 } }
    expect(drawFault(flapping, 6000, sequence(0.2))).toEqual({ outcome: 'flap_reset' })
    expect(drawFault(flapping, 6000, sequence(0.7))).toEqual({ outcome: 'flap_error', status: 503 })
    expect(drawFault({ flap: { ...flap, failWith: 'status' } }, 6000, sequence(0.2))).toEqual({ outcome: 'flap_error', status: 503 })
    expect(drawFault(flapping, 1000, sequence(0.7))).toEqual({ outcome: 'ok' })
  })
})

describe('parseFaults', () => {
  it('reads nothing as no faults, and the soak mix as itself', () => {
    expect(parseFaults(undefined)).toEqual({})
    expect(parseFaults('')).toEqual({})
    expect(parseFaults(JSON.stringify(soakFaults()))).toEqual(soakFaults())
  })

  it('refuses unknown sources, shares beyond 100% and bad statuses', () => {
    expect(() => parseFaults('{"inventory":{}}')).toThrow(/unknown source/)
    expect(() => parseFaults('{"reviews":{"hangPercent":60,"errorPercent":50}}')).toThrow(/bad spec/)
    expect(() => parseFaults('{"reviews":{"errorPercent":5,"errorStatuses":[99]}}')).toThrow(/bad spec/)
    expect(() => parseFaults('{"reviews":{"flap":{"healthyMs":1,"failingMs":0}}}')).toThrow(/bad spec/)
  })
})

describe('ResponseTally', () => {
  it('counts statuses, source outcomes and cache states from the bodies', () => {
    const tally = new ResponseTally()
    const view = (reviews: object): string => JSON.stringify({
      isbn: '9780441013593',
      sources: { publisher: { status: 'ok', durationMs: 3, cache: 'hit' }, reviews, recommendations: { status: 'ok', durationMs: 4, cache: 'miss', hedged: true } },
      complete: false
    })
    tally.record(200, view({ status: 'timeout', durationMs: 800, cache: 'miss', detail: 'reviews did not answer within 800 ms' }))
    tally.record(200, view({ status: 'circuit_open', durationMs: 0, cache: 'miss', detail: 'open' }))
    tally.record(503, '{"type":"about:blank","status":503}')
    tally.record(500, 'oops')
    const result = tally.result()
    expect(result.statuses).toEqual({ 200: 2, 503: 1, 500: 1 })
    expect(result.partial).toBe(2)
    expect(result.withoutSources).toBe(2)
    expect(result.sources.reviews.status).toEqual({ timeout: 1, circuit_open: 1 })
    expect(result.sources.reviews.details).toEqual({ 'reviews did not answer within 800 ms': 1, open: 1 })
    expect(result.sources.publisher.cache).toEqual({ hit: 2 })
    expect(result.sources.recommendations.hedged).toBe(2)
    expect(result.unexpected).toEqual([{ status: 500, body: 'oops' }])
  })
})

describe('mock upstream with faults', () => {
  let mock: MockUpstream | undefined

  afterAll(async () => {
    await mock?.stop()
    await stopAll()
  })

  it('holds a hang until the client leaves, then releases it; fails by reset and status while flapping', async () => {
    mock = await startMock(sameLatency(0), {
      faults: {
        publisher: { hangPercent: 100 },
        reviews: { flap: { healthyMs: 0, failingMs: 60_000, failWith: 'reset' } },
        recommendations: { errorPercent: 100, errorStatuses: [503] }
      }
    })
    const url = (source: 'publisher' | 'reviews' | 'recommendations'): string => `${mock?.urls[source]}/books/${randomIsbn13()}`

    await expect(request(url('publisher'), { signal: AbortSignal.timeout(300) })).rejects.toThrow()
    await expect(request(url('reviews'))).rejects.toThrow(/other side closed|ECONNRESET|socket/i)
    const failed = await request(url('recommendations'))
    await failed.body.dump()
    expect(failed.statusCode).toBe(503)

    // The aborted hang is released once its socket closes.
    let stats = await mock.stats()
    for (let i = 0; i < 20 && stats.hanging.publisher > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      stats = await mock.stats()
    }
    expect(stats.hanging.publisher).toBe(0)
    expect(stats.abandoned.publisher).toBe(1)
    expect(stats.outcomes.publisher.hang).toBe(1)
    expect(stats.outcomes.reviews.flap_reset).toBe(1)
    expect(stats.outcomes.recommendations.error).toBe(1)
    expect(stats.calls).toEqual({ publisher: 1, reviews: 1, recommendations: 1 })
    expect(stats.peakOpenConnections.publisher).toBeGreaterThanOrEqual(1)
  })
})
