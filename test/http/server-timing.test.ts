import { describe, expect, it } from 'vitest'
import type { SourceOutcomes } from '../../src/domain/outcome.js'
import { serverTimingOf } from '../../src/http/server-timing.js'

describe('serverTimingOf', () => {
  it('gives every called source its duration and status, with its cache and batch notes, then the total', () => {
    const outcomes: SourceOutcomes = {
      publisher: { status: 'ok', durationMs: 12, cache: 'miss' },
      reviews: { status: 'timeout', durationMs: 1500 },
      recommendations: { status: 'ok', durationMs: 20, cache: 'hit', batched: 4 }
    }
    expect(serverTimingOf(outcomes, 1500.4)).toBe(
      'publisher;dur=12;desc="ok (cache miss)", reviews;dur=1500;desc="timeout", ' +
      'recommendations;dur=20;desc="ok (cache hit, batch of 4)", total;dur=1500'
    )
  })

  it('leaves out skipped sources', () => {
    const outcomes: SourceOutcomes = {
      publisher: { status: 'skipped', durationMs: 0 },
      reviews: { status: 'ok', durationMs: 7, batched: 2 },
      recommendations: { status: 'skipped', durationMs: 0 }
    }
    expect(serverTimingOf(outcomes, 8)).toBe('reviews;dur=7;desc="ok (batch of 2)", total;dur=8')
  })
})
