import { describe, expect, it } from 'vitest'
import { summarize, type Slice } from '../../bench/interleave.js'

describe('interleaved A/B summary', () => {
  it('totals CPU per response per build, and per round over its slices whichever ran first', () => {
    const slices: Slice[] = [
      { round: 0, build: 'base', responses: 1000, cpuMs: 100 },
      { round: 0, build: 'head', responses: 1000, cpuMs: 80 },
      { round: 0, build: 'head', responses: 1000, cpuMs: 80 },
      { round: 0, build: 'base', responses: 1000, cpuMs: 100 }, // round 0: 80 ÷ 100 µs
      { round: 1, build: 'head', responses: 2000, cpuMs: 180 },
      { round: 1, build: 'base', responses: 2000, cpuMs: 240 },
      { round: 1, build: 'base', responses: 2000, cpuMs: 240 },
      { round: 1, build: 'head', responses: 2000, cpuMs: 180 } // round 1: 90 ÷ 120 µs
    ]
    const result = summarize(slices)
    expect(result.baseMicros).toBe(113) // 680 ms over 6000 responses
    expect(result.headMicros).toBe(87) // 520 ms over 6000
    expect(result.roundRatios).toEqual([0.8, 0.75])
  })
})
