import { describe, expect, it } from 'vitest'
import { median, summarize, warmupOrder, type Slice } from '../../bench/interleave.js'

describe('interleaved comparison summary', () => {
  it('totals CPU per response per side, and per round over its slices whichever ran first', () => {
    const slices: Slice[] = [
      { round: 0, build: 'base', responses: 1000, cpuMs: 100, okRps: 1000, p99Ms: 40 },
      { round: 0, build: 'head', responses: 1000, cpuMs: 80, okRps: 1250, p99Ms: 30 },
      { round: 0, build: 'head', responses: 1000, cpuMs: 80, okRps: 1250, p99Ms: 34 },
      { round: 0, build: 'base', responses: 1000, cpuMs: 100, okRps: 1000, p99Ms: 40 }, // round 0: 80 ÷ 100 µs
      { round: 1, build: 'head', responses: 2000, cpuMs: 180, okRps: 1100, p99Ms: 50 },
      { round: 1, build: 'base', responses: 2000, cpuMs: 240, okRps: 1000, p99Ms: 50 },
      { round: 1, build: 'base', responses: 2000, cpuMs: 240, okRps: 1000, p99Ms: 50 },
      { round: 1, build: 'head', responses: 2000, cpuMs: 180, okRps: 1100, p99Ms: 50 } // round 1: 90 ÷ 120 µs
    ]
    const result = summarize(slices)
    expect(result.baseMicros).toBe(113) // 680 ms over 6000 responses
    expect(result.headMicros).toBe(87) // 520 ms over 6000
    expect(result.roundRatios).toEqual([0.8, 0.75])
    expect(result.roundRpsRatios).toEqual([1.25, 1.1])
    // Each side's slices averaged: 40 ÷ 32 ms, then 50 ÷ 50.
    expect(result.roundP99Speedups).toEqual([1.25, 1])
  })

  it('takes the median of the rounds, the middle two averaged for an even count', () => {
    expect(median([1.2, 0.8, 0.9])).toBe(0.9)
    expect(median([1, 0.7, 0.8, 1.3])).toBe(0.9)
  })

  it('warms the sides up in turns of at most 5 s, the side that measures first last', () => {
    expect(warmupOrder('base', 5)).toEqual(['head', 'base'])
    expect(warmupOrder('head', 20)).toEqual(['base', 'head', 'base', 'head', 'base', 'head', 'base', 'head'])
    expect(warmupOrder('head', 0.2)).toEqual(['base', 'head'])
    expect(warmupOrder('base', 0)).toEqual([])
  })
})
