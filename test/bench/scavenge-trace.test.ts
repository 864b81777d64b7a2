import { describe, expect, it } from 'vitest'
import { summarizeScavenges } from '../../bench/scavenge-trace.js'

// Shortened lines of `node --trace-gc-nvp` (Node 24), as the service's stdout mixes them with its log.
const scavenge = (pause: number, survived: number, promoted: number): string =>
  `[8565:0x45f09000:0]    24914 ms: pause=${pause} mutator=212.5 gc=s reduce_memory=0 scavenge=${pause} ` +
  `allocated=26495624 promoted=${promoted} new_space_survived=${survived} promotion_ratio=11.2%`
const markCompact = '[8565:0x45f09000:0]    25000 ms: pause=30.1 mutator=80.0 gc=mc reduce_memory=0 promoted=0 new_space_survived=0'
const logLine = '{"level":30,"time":1764626400000,"msg":"request completed","gc=s":"not a trace"}'

describe('summarizeScavenges', () => {
  it('sums the scavenges only, skipping other collections and log lines', () => {
    const summary = summarizeScavenges([scavenge(4, 2_000_000, 500_000), markCompact, logLine, scavenge(6, 4_000_000, 1_000_000)].join('\n'))
    expect(summary).toMatchObject({ scavenges: 2, totalPauseMs: 10, meanPauseMs: 5, survivedBytes: 3_000_000, promotedBytes: 750_000 })
  })

  it('rates promotion against what survived the scavenge before', () => {
    const trace = [scavenge(4, 2_000_000, 9_999_999), scavenge(5, 1_000_000, 1_600_000), scavenge(5, 1_000_000, 800_000)].join('\n')
    // (1.6 MB + 0.8 MB) promoted of (2 MB + 1 MB) that had survived: the first line's promotion is not counted.
    expect(summarizeScavenges(trace).promotionRate).toBeCloseTo(0.8)
  })

  it('reports nothing rather than dividing by zero when no scavenge happened', () => {
    expect(summarizeScavenges(markCompact)).toEqual({ scavenges: 0, meanPauseMs: 0, totalPauseMs: 0, survivedBytes: 0, promotedBytes: 0, promotionRate: 0 })
  })
})
