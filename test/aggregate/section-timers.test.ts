import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SectionTimers } from '../../src/aggregate/section-timers.js'

describe('SectionTimers', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('arms one timer for the calls that share a timeout, and one per other timeout', () => {
    const timers = new SectionTimers<string>(() => {})
    timers.add('publisher', 1500)
    timers.add('reviews', 1500)
    expect(vi.getTimerCount()).toBe(1)
    timers.add('recommendations', 800)
    expect(vi.getTimerCount()).toBe(2)
    timers.clear()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('times out only the calls still waiting when their timer fires, with their timeout', () => {
    const fired: Array<[string, number]> = []
    const timers = new SectionTimers<string>((key, timeoutMs) => {
      fired.push([key, timeoutMs])
      timers.settled(key)
    })
    timers.add('publisher', 100)
    timers.add('reviews', 100)
    timers.add('recommendations', 300)
    timers.settled('publisher')
    vi.advanceTimersByTime(99)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual([['reviews', 100]])
    vi.advanceTimersByTime(200)
    expect(fired).toEqual([['reviews', 100], ['recommendations', 300]])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('clears a timer once every call of its group has settled', () => {
    const onTimeout = vi.fn()
    const timers = new SectionTimers<string>(onTimeout)
    timers.add('publisher', 100)
    timers.add('reviews', 100)
    timers.settled('reviews')
    expect(vi.getTimerCount()).toBe(1)
    timers.settled('publisher')
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(onTimeout).not.toHaveBeenCalled()
  })
})
