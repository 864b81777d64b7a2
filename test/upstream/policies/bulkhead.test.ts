import { describe, expect, it, vi } from 'vitest'
import { Bulkhead, type BulkheadTicket } from '../../../src/upstream/policies/bulkhead.js'

/** Enters one call per name; each call records its name in `started` once it gets a slot. */
function enterAll(bulkhead: Bulkhead, names: readonly string[], started: string[]): Array<BulkheadTicket | 'started' | 'full'> {
  return names.map((name) => bulkhead.enter(() => started.push(name)))
}

describe('Bulkhead', () => {
  it('starts a call at once, synchronously, while a slot is free', () => {
    const bulkhead = new Bulkhead(2, 0)
    const start = vi.fn()
    expect(bulkhead.enter(start)).toBe('started')
    // Synchronous admission: the call runs before enter returns, with no promise in between.
    expect(start).toHaveBeenCalledTimes(1)
    expect(bulkhead.inFlight).toBe(1)
    expect(bulkhead.hasFreeSlot).toBe(true)

    expect(bulkhead.enter(vi.fn())).toBe('started')
    expect(bulkhead.inFlight).toBe(2)
    expect(bulkhead.hasFreeSlot).toBe(false)
  })

  it('queues calls beyond its capacity and starts them in FIFO order as slots are released', () => {
    const bulkhead = new Bulkhead(1, 3)
    const started: string[] = []
    const entered = enterAll(bulkhead, ['a', 'b', 'c', 'd'], started)

    expect(entered[0]).toBe('started')
    expect(entered.slice(1).every((e) => typeof e === 'object')).toBe(true)
    expect(started).toEqual(['a'])
    expect(bulkhead.queued).toBe(3)

    bulkhead.release()
    expect(started).toEqual(['a', 'b'])
    bulkhead.release()
    bulkhead.release()
    expect(started).toEqual(['a', 'b', 'c', 'd'])
    expect(bulkhead.queued).toBe(0)
  })

  it('answers full, without running the call, once the queue is full too', () => {
    const bulkhead = new Bulkhead(1, 1)
    bulkhead.enter(vi.fn())
    expect(typeof bulkhead.enter(vi.fn())).toBe('object')

    const rejected = vi.fn()
    expect(bulkhead.enter(rejected)).toBe('full')
    bulkhead.release()
    bulkhead.release()
    // A refused call was never queued: no slot ever reaches it.
    expect(rejected).not.toHaveBeenCalled()
    expect(bulkhead.queued).toBe(0)
  })

  it('refuses at once when every slot is taken and there is no queue', () => {
    const bulkhead = new Bulkhead(1, 0)
    bulkhead.enter(vi.fn())
    expect(bulkhead.enter(vi.fn())).toBe('full')
  })

  it('hands a released slot straight to the longest-waiting call, so the count never dips', () => {
    const bulkhead = new Bulkhead(2, 2)
    const started: string[] = []
    enterAll(bulkhead, ['a', 'b', 'c'], started)
    expect(bulkhead.inFlight).toBe(2)

    bulkhead.release()
    // 'c' took over the slot 'a' or 'b' gave back: still two in flight, nobody waiting.
    expect(started).toEqual(['a', 'b', 'c'])
    expect(bulkhead.inFlight).toBe(2)
    expect(bulkhead.queued).toBe(0)
    expect(bulkhead.hasFreeSlot).toBe(false)
  })

  it('frees the slot when a call is released with nobody waiting', () => {
    const bulkhead = new Bulkhead(1, 1)
    bulkhead.enter(vi.fn())
    bulkhead.release()
    expect(bulkhead.inFlight).toBe(0)
    expect(bulkhead.hasFreeSlot).toBe(true)
    expect(bulkhead.enter(vi.fn())).toBe('started')
  })

  it('lets a queued call leave: it never starts, and the calls behind it keep their order', () => {
    const bulkhead = new Bulkhead(1, 3)
    const started: string[] = []
    const [, b] = enterAll(bulkhead, ['a', 'b', 'c', 'd'], started)

    bulkhead.leave(b as BulkheadTicket)
    expect(bulkhead.queued).toBe(2)
    bulkhead.release()
    bulkhead.release()
    bulkhead.release()
    expect(started).toEqual(['a', 'c', 'd'])
    expect(bulkhead.inFlight).toBe(0)
  })

  it('makes room in the queue when a call leaves it', () => {
    const bulkhead = new Bulkhead(1, 1)
    bulkhead.enter(vi.fn())
    const waiting = bulkhead.enter(vi.fn()) as BulkheadTicket
    expect(bulkhead.enter(vi.fn())).toBe('full')

    bulkhead.leave(waiting)
    expect(typeof bulkhead.enter(vi.fn())).toBe('object')
  })

  it('ignores leave for a ticket that already started (it holds a slot, which only release gives back)', () => {
    const bulkhead = new Bulkhead(1, 2)
    const started: string[] = []
    const [, b, c] = enterAll(bulkhead, ['a', 'b', 'c'], started)
    bulkhead.release() // 'b' starts
    bulkhead.leave(b as BulkheadTicket)
    expect(bulkhead.queued).toBe(1)
    expect(bulkhead.inFlight).toBe(1)

    bulkhead.release()
    expect(started).toEqual(['a', 'b', 'c'])
    bulkhead.leave(c as BulkheadTicket)
    expect(bulkhead.inFlight).toBe(1)
  })
})
