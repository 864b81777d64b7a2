import { describe, it, expect } from 'vitest'
import { freshnessOf, remainingTtlMs, retentionMs, type CacheEntry, type CacheWindows } from '../../src/cache/cache-entry.js'

const T0 = 1_700_000_000_000
const TTL = 60_000
const WINDOWS: CacheWindows = { staleWhileRevalidateMs: 30_000, maxStaleMs: 300_000 }

const okEntry: CacheEntry = { status: 'ok', json: '{"title":"Dune"}', storedAt: T0, ttlMs: TTL }
const notFoundEntry: CacheEntry = { status: 'not_found', storedAt: T0, ttlMs: 5_000 }

describe('freshnessOf', () => {
  it('is fresh from storage until just before the TTL ends', () => {
    expect(freshnessOf(okEntry, WINDOWS, T0)).toBe('fresh')
    expect(freshnessOf(okEntry, WINDOWS, T0 + TTL - 1)).toBe('fresh')
  })

  it('needs revalidation from the end of the TTL through the stale-while-revalidate window', () => {
    expect(freshnessOf(okEntry, WINDOWS, T0 + TTL)).toBe('revalidate')
    expect(freshnessOf(okEntry, WINDOWS, T0 + TTL + 30_000 - 1)).toBe('revalidate')
  })

  it('is only good as a stale-if-error fallback past the SWR window, up to maxStale past the TTL', () => {
    expect(freshnessOf(okEntry, WINDOWS, T0 + TTL + 30_000)).toBe('stale-if-error')
    expect(freshnessOf(okEntry, WINDOWS, T0 + TTL + 300_000 - 1)).toBe('stale-if-error')
  })

  it('is expired once maxStale has passed after the TTL', () => {
    expect(freshnessOf(okEntry, WINDOWS, T0 + TTL + 300_000)).toBe('expired')
    expect(freshnessOf(okEntry, WINDOWS, T0 + 10 * 24 * 3_600_000)).toBe('expired')
  })

  it('defaults `now` to Date.now()', () => {
    const justStored: CacheEntry = { ...okEntry, storedAt: Date.now() }
    const longAgo: CacheEntry = { ...okEntry, storedAt: Date.now() - TTL - 400_000 }
    expect(freshnessOf(justStored, WINDOWS)).toBe('fresh')
    expect(freshnessOf(longAgo, WINDOWS)).toBe('expired')
  })

  it('never serves not_found entries stale: they expire right after their TTL', () => {
    expect(freshnessOf(notFoundEntry, WINDOWS, T0 + 4_999)).toBe('fresh')
    expect(freshnessOf(notFoundEntry, WINDOWS, T0 + 5_000)).toBe('expired')
    // Well inside what would be the SWR and stale-if-error windows of an ok entry.
    expect(freshnessOf(notFoundEntry, WINDOWS, T0 + 5_000 + 10_000)).toBe('expired')
    expect(freshnessOf(notFoundEntry, WINDOWS, T0 + 5_000 + 100_000)).toBe('expired')
  })

  it('skips the stale-if-error window when maxStale is not longer than the SWR window', () => {
    const windows: CacheWindows = { staleWhileRevalidateMs: 30_000, maxStaleMs: 10_000 }
    expect(freshnessOf(okEntry, windows, T0 + TTL + 20_000)).toBe('revalidate')
    expect(freshnessOf(okEntry, windows, T0 + TTL + 30_000)).toBe('expired')
  })

  it('without an SWR window goes from fresh to stale-if-error, and without either window to expired', () => {
    const noSwr: CacheWindows = { staleWhileRevalidateMs: 0, maxStaleMs: 300_000 }
    expect(freshnessOf(okEntry, noSwr, T0 + TTL)).toBe('stale-if-error')
    const neither: CacheWindows = { staleWhileRevalidateMs: 0, maxStaleMs: 0 }
    expect(freshnessOf(okEntry, neither, T0 + TTL)).toBe('expired')
  })
})

describe('retentionMs', () => {
  it('keeps ok entries for the TTL plus the longer of the SWR and maxStale windows', () => {
    expect(retentionMs(okEntry, WINDOWS)).toBe(TTL + 300_000)
    expect(retentionMs(okEntry, { staleWhileRevalidateMs: 90_000, maxStaleMs: 20_000 })).toBe(TTL + 90_000)
    expect(retentionMs(okEntry, { staleWhileRevalidateMs: 0, maxStaleMs: 0 })).toBe(TTL)
  })

  it('keeps not_found entries for their TTL only', () => {
    expect(retentionMs(notFoundEntry, WINDOWS)).toBe(5_000)
  })
})

describe('remainingTtlMs', () => {
  it('counts down from the TTL to zero and never goes negative', () => {
    expect(remainingTtlMs(okEntry, T0)).toBe(TTL)
    expect(remainingTtlMs(okEntry, T0 + 25_000)).toBe(35_000)
    expect(remainingTtlMs(okEntry, T0 + TTL)).toBe(0)
    expect(remainingTtlMs(okEntry, T0 + TTL + 1_000_000)).toBe(0)
    expect(remainingTtlMs(notFoundEntry, T0 + 1_000)).toBe(4_000)
  })

  it('defaults `now` to Date.now()', () => {
    const remaining = remainingTtlMs({ ...okEntry, storedAt: Date.now() })
    expect(remaining).toBeGreaterThan(TTL - 1_000)
    expect(remaining).toBeLessThanOrEqual(TTL)
  })
})
