import { afterEach, beforeEach, expect, vi } from 'vitest'

/**
 * One fake clock for a test file: the flight's hedge, retry and rate-slot timers, the scripted
 * upstream's answers and performance.now() (so the breaker's and the budget's clocks too).
 * Timings are then exact, not raced. After each test no timer may be left: every test settles
 * the flights it starts, and a settled flight leaves none behind.
 */
export function useFakeFlightClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  })
  afterEach(() => {
    try {
      if (vi.isFakeTimers()) expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
      vi.restoreAllMocks()
    }
  })
}
