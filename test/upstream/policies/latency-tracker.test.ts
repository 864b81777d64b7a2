import { describe, expect, it } from 'vitest'
import { LatencyTracker } from '../../../src/upstream/policies/latency-tracker.js'

function recordAll(tracker: LatencyTracker, samples: readonly number[]): void {
  for (const sample of samples) tracker.record(sample)
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Deterministic shuffle (so the tracker cannot rely on samples arriving in order). */
function shuffled(values: readonly number[]): number[] {
  const out = [...values]
  let seed = 42
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    const j = seed % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe('LatencyTracker', () => {
  it('has no p95 until 20 samples were recorded', () => {
    const tracker = new LatencyTracker()
    expect(tracker.p95()).toBeUndefined()
    recordAll(tracker, range(1, 19))
    expect(tracker.p95()).toBeUndefined()
    tracker.record(20)
    expect(tracker.p95()).toBe(19) // ceil(20 × 0.95) = 19th smallest
  })

  it('computes the p95 of a known distribution (1..100 → 95), whatever the arrival order', () => {
    const tracker = new LatencyTracker()
    recordAll(tracker, shuffled(range(1, 100)))
    expect(tracker.p95()).toBe(95)
  })

  it('sorts numerically, not as strings', () => {
    const tracker = new LatencyTracker()
    // As strings, "9" > "100" > "1000"; numerically the 19th smallest of these is 1000.
    recordAll(tracker, [...Array.from({ length: 18 }, () => 9), 1000, 100_000])
    expect(tracker.p95()).toBe(1000)
  })

  it('keeps fractional durations', () => {
    const tracker = new LatencyTracker()
    recordAll(tracker, range(1, 100).map((n) => n + 0.25))
    expect(tracker.p95()).toBe(95.25)
  })

  it('forgets old samples once `size` newer ones were recorded (ring buffer)', () => {
    const tracker = new LatencyTracker(20, 1)
    recordAll(tracker, Array.from({ length: 20 }, () => 1000))
    expect(tracker.p95()).toBe(1000)

    recordAll(tracker, Array.from({ length: 10 }, () => 5))
    // Half the buffer still holds the slow samples.
    expect(tracker.p95()).toBe(1000)

    recordAll(tracker, Array.from({ length: 10 }, () => 5))
    // Every slow sample has been overwritten.
    expect(tracker.p95()).toBe(5)

    recordAll(tracker, range(1, 20))
    expect(tracker.p95()).toBe(19)
  })

  it('never holds more than `size` samples', () => {
    const tracker = new LatencyTracker(40, 1)
    recordAll(tracker, range(1, 1000))
    // Only 961..1000 remain: the 38th smallest of them.
    expect(tracker.p95()).toBe(998)
  })

  it('serves a cached p95 until `recomputeEvery` new samples arrived', () => {
    const tracker = new LatencyTracker(512, 32)
    recordAll(tracker, range(1, 100))
    expect(tracker.p95()).toBe(95)

    recordAll(tracker, Array.from({ length: 31 }, () => 10_000))
    // 31 new samples < recomputeEvery: the figure is (documentedly) stale.
    expect(tracker.p95()).toBe(95)

    tracker.record(10_000)
    // The 32nd new sample triggers a recomputation over all 132 samples: the 126th smallest.
    expect(tracker.p95()).toBe(10_000)
  })

  it('computes the first p95 as soon as it is asked for, even before `recomputeEvery` samples', () => {
    const tracker = new LatencyTracker(512, 1000)
    recordAll(tracker, range(1, 20))
    expect(tracker.p95()).toBe(19)
    // …and only that one is cached until 1000 more samples arrive.
    recordAll(tracker, Array.from({ length: 100 }, () => 5000))
    expect(tracker.p95()).toBe(19)
  })

  it('does not count reads as samples: asking often does not refresh the cache', () => {
    const tracker = new LatencyTracker(512, 10)
    recordAll(tracker, range(1, 100))
    expect(tracker.p95()).toBe(95)
    recordAll(tracker, Array.from({ length: 9 }, () => 10_000))
    for (let i = 0; i < 50; i++) expect(tracker.p95()).toBe(95)
    tracker.record(10_000)
    expect(tracker.p95()).toBe(10_000) // 110 samples: the 105th smallest
  })
})

describe('LatencyTracker p95 against a sort', () => {
  it('agrees with sorting on random, tied and ordered samples', () => {
    let seed = 7
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const cases: number[][] = [
      Array.from({ length: 512 }, () => random() * 40),
      Array.from({ length: 300 }, () => Math.floor(random() * 4)),
      range(1, 512),
      range(1, 512).reverse(),
      Array.from({ length: 50 }, () => 3)
    ]
    for (const samples of cases) {
      const tracker = new LatencyTracker(512, 1)
      recordAll(tracker, samples)
      const sorted = [...samples].sort((a, b) => a - b)
      expect(tracker.p95()).toBe(sorted[Math.ceil(samples.length * 0.95) - 1])
    }
  })
})
