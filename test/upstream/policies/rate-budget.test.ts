import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RateBudget } from '../../../src/upstream/policies/rate-budget.js'

/** A budget on a clock the test moves by hand. */
function budgetAt(perWindow: number, windowMs = 1000): { budget: RateBudget; clock: { now: number } } {
  const clock = { now: 1000 }
  return { budget: new RateBudget(perWindow, windowMs, () => clock.now), clock }
}

describe('RateBudget', () => {
  it('lets perWindow requests go at once, then books the next slots one window after the earliest', () => {
    const { budget } = budgetAt(3)
    expect([budget.reserve(5000), budget.reserve(5000), budget.reserve(5000)]).toEqual([1000, 1000, 1000])
    expect(budget.reserve(5000)).toBe(2000)
    expect(budget.reserve(5000)).toBe(2000)
    expect(budget.reserve(5000)).toBe(2000)
    expect(budget.reserve(5000)).toBe(3000)
  })

  it('books nothing when the earliest slot is later than the caller can wait', () => {
    const { budget } = budgetAt(1)
    expect(budget.reserve(1000)).toBe(1000)
    expect(budget.reserve(1999)).toBeUndefined()
    // The refused call did not take the slot at 2000.
    expect(budget.reserve(2000)).toBe(2000)
  })

  it('takeNow only succeeds while a slot is free at this moment (hedges never wait)', () => {
    const { budget, clock } = budgetAt(2)
    expect(budget.takeNow()).toBe(true)
    expect(budget.takeNow()).toBe(true)
    expect(budget.takeNow()).toBe(false)
    clock.now += 1000
    expect(budget.takeNow()).toBe(true)
  })

  it('gives a refunded slot to the next caller', () => {
    const { budget } = budgetAt(1)
    budget.reserve(9000)
    const second = budget.reserve(9000) as number
    expect(second).toBe(2000)
    budget.refund(second)
    expect(budget.reserve(9000)).toBe(2000)
  })

  it('pause holds every caller back until the provider’s Retry-After has passed', () => {
    const { budget, clock } = budgetAt(10)
    budget.pause(5000)
    expect(budget.pausedUntil).toBe(6000)
    expect(budget.reserve(5999)).toBeUndefined()
    expect(budget.reserve(6000)).toBe(6000)
    clock.now = 7000
    expect(budget.reserve(7000)).toBe(7000)
  })

  it('perSecond turns a fractional rate into one request per longer window, with a tenth of headroom for jitter', () => {
    const clock = { now: 0 }
    const budget = RateBudget.perSecond(0.5, () => clock.now)
    expect(budget.reserve(0)).toBe(0)
    expect(budget.reserve(10_000)).toBe(2200)
    expect(RateBudget.perSecond(3).perWindow).toBe(3)
    expect(RateBudget.perSecond(3).windowMs).toBe(1100)
  })

  it('never lets more than perWindow starts into any window, whatever the mix of waits, refunds and time', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 3000 }), fc.boolean()), { maxLength: 60 }),
      (perWindow, steps) => {
        const { budget, clock } = budgetAt(perWindow)
        const booked: number[] = []
        for (const [advance, patience, refund] of steps) {
          clock.now += advance
          const at = budget.reserve(clock.now + patience)
          if (at === undefined) continue
          expect(at).toBeGreaterThanOrEqual(clock.now)
          if (refund && at > clock.now) budget.refund(at)
          else booked.push(at)
        }
        booked.sort((a, b) => a - b)
        for (let i = perWindow; i < booked.length; i++) {
          expect((booked[i] as number) - (booked[i - perWindow] as number)).toBeGreaterThanOrEqual(1000)
        }
      }
    ))
  })
})
