import { describe, expect, it } from 'vitest'
import { summarize, type Slice } from '../../bench/interleave.js'

describe('interleaved A/B summary', () => {
  it('totals CPU per response per build and pairs back-to-back slices whichever ran first', () => {
    const slices: Slice[] = [
      { build: 'base', responses: 1000, cpuMs: 100 }, // 100 µs
      { build: 'head', responses: 1000, cpuMs: 80 }, // 80 µs
      { build: 'head', responses: 2000, cpuMs: 180 }, // 90 µs
      { build: 'base', responses: 2000, cpuMs: 240 } // 120 µs
    ]
    const result = summarize(slices)
    expect(result.baseMicros).toBe(113) // 340 ms over 3000 responses
    expect(result.headMicros).toBe(87) // 260 ms over 3000
    expect(result.pairRatios).toEqual([0.8, 0.75])
  })
})
