import { describe, expect, it } from 'vitest'
import { countAllocations } from '../../bench/allocations.js'

// The hot path's shape (issue 17): an uncached lookup allocates a small, fixed amount of
// machinery per request, not one set per policy per upstream call. The bounds leave room for
// Fastify and undici internals; the layered design this replaced made 117–147 promises and 7–10
// AbortControllers per request, the first flight design 33 promises, 9 timers and 6 listeners
// (a timer and two listeners per section); with the sections' machinery per request: 22, 7, 4.
describe('bench:allocations', () => {
  it('an uncached GET /books/{isbn} makes a bounded number of promises, AbortControllers and timers', async () => {
    const counts = await countAllocations(40)
    expect(counts.requests).toBe(40)
    expect(counts.promises).toBeGreaterThan(0)
    expect(counts.promises).toBeLessThanOrEqual(30)
    expect(counts.abortControllers).toBeLessThanOrEqual(4)
    expect(counts.abortListeners).toBeLessThanOrEqual(5)
    expect(counts.timers).toBeLessThanOrEqual(9)
  }, 30_000)
})
