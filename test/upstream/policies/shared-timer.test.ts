import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SharedTimer, type DueTarget } from '../../../src/upstream/policies/shared-timer.js'

/** A target that records when it was called and how late it was told it was. */
function recorder(log: Array<{ name: string; at: number; lateByMs: number }>, name: string): DueTarget {
  return { due: (lateByMs) => log.push({ name, at: performance.now(), lateByMs }) }
}

describe('SharedTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('calls each entry at its time, on one Node timer for all of them', () => {
    const timer = new SharedTimer()
    const log: Array<{ name: string; at: number; lateByMs: number }> = []
    const start = performance.now()
    timer.add(recorder(log, 'a'), start + 20)
    vi.advanceTimersByTime(5)
    timer.add(recorder(log, 'b'), start + 25)
    timer.add(recorder(log, 'c'), start + 30)
    expect(vi.getTimerCount()).toBe(1)
    expect(timer.pending).toBe(3)

    vi.advanceTimersByTime(15)
    expect(log.map((e) => e.name)).toEqual(['a'])
    expect(log[0]?.at).toBe(start + 20)
    vi.advanceTimersByTime(10)
    expect(log.map((e) => [e.name, e.at - start])).toEqual([['a', 20], ['b', 25], ['c', 30]])
    expect(log.every((e) => e.lateByMs === 0)).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    expect(timer.pending).toBe(0)
  })

  it('never calls a cancelled entry, and clears its timer once no entry is left waiting', () => {
    const timer = new SharedTimer()
    const log: Array<{ name: string; at: number; lateByMs: number }> = []
    const start = performance.now()
    const a = timer.add(recorder(log, 'a'), start + 20)
    const b = timer.add(recorder(log, 'b'), start + 30)
    timer.cancel(a)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(25)
    expect(log).toEqual([])
    timer.cancel(b)
    timer.cancel(b)
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(100)
    expect(log).toEqual([])
  })

  it('wakes earlier for an entry due before the ones already waiting (the p95 went down)', () => {
    const timer = new SharedTimer()
    const log: Array<{ name: string; at: number; lateByMs: number }> = []
    const start = performance.now()
    timer.add(recorder(log, 'slow'), start + 40)
    timer.add(recorder(log, 'quick'), start + 10)
    vi.advanceTimersByTime(10)
    expect(log.map((e) => [e.name, e.at - start])).toEqual([['quick', 10]])
    vi.advanceTimersByTime(30)
    expect(log.map((e) => [e.name, e.at - start])).toEqual([['quick', 10], ['slow', 40]])
  })

  it('tells a target how late it is called', () => {
    const timer = new SharedTimer()
    const log: Array<{ name: string; at: number; lateByMs: number }> = []
    vi.advanceTimersByTime(100)
    // Already past when added (the event loop was busy after the call went out): called at once.
    timer.add(recorder(log, 'past'), performance.now() - 7)
    vi.advanceTimersByTime(0)
    expect(log.map((e) => [e.name, e.lateByMs])).toEqual([['past', 7]])
  })

  it('serves entries that a target adds while the timer fires', () => {
    const timer = new SharedTimer()
    const log: Array<{ name: string; at: number; lateByMs: number }> = []
    const start = performance.now()
    timer.add({
      due: (lateByMs) => {
        log.push({ name: 'first', at: performance.now(), lateByMs })
        timer.add(recorder(log, 'added'), performance.now() + 15)
      }
    }, start + 10)
    vi.advanceTimersByTime(30)
    expect(log.map((e) => [e.name, e.at - start])).toEqual([['first', 10], ['added', 25]])
    expect(timer.pending).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps order over many entries, most of them cancelled, as it drops the passed ones', () => {
    const timer = new SharedTimer()
    const called: number[] = []
    for (let i = 0; i < 5000; i++) {
      const entry = timer.add({ due: () => called.push(i) }, performance.now() + 20)
      if (i % 10 !== 0) timer.cancel(entry)
      vi.advanceTimersByTime(1)
    }
    vi.advanceTimersByTime(20)
    expect(called).toEqual(Array.from({ length: 500 }, (_, k) => k * 10))
    expect(vi.getTimerCount()).toBe(0)
  })
})
