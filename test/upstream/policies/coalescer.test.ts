import { describe, expect, it, vi } from 'vitest'
import { Coalescer } from '../../../src/upstream/policies/coalescer.js'
import { deferred, flush, settle } from './helpers.js'

/** Work that waits for the test to settle it and rejects with the reason when its signal aborts. */
function controllableWork<T>() {
  const runs: Array<{ signal: AbortSignal; resolve(value: T): void; reject(error: unknown): void }> = []
  const work = vi.fn((signal: AbortSignal): Promise<T> => {
    const d = deferred<T>()
    signal.addEventListener('abort', () => d.reject(signal.reason), { once: true })
    runs.push({ signal, resolve: d.resolve, reject: d.reject })
    return d.promise
  })
  return { work, runs }
}

const live = (): AbortSignal => new AbortController().signal

describe('Coalescer', () => {
  it('runs the work once for concurrent callers of the same key and shares the value', async () => {
    const coalescer = new Coalescer<string, string>()
    const { work, runs } = controllableWork<string>()

    const a = coalescer.run('isbn', live(), work)
    const b = coalescer.run('isbn', live(), work)
    const c = coalescer.run('isbn', live(), work)
    expect(coalescer.size).toBe(1)
    await flush()
    expect(work).toHaveBeenCalledTimes(1)

    runs[0]!.resolve('dune')
    await expect(Promise.all([a, b, c])).resolves.toEqual([
      { value: 'dune', shared: true, joined: false },
      { value: 'dune', shared: true, joined: true },
      { value: 'dune', shared: true, joined: true }
    ])
    expect(coalescer.size).toBe(0)
  })

  it('marks the answer of a lone caller as not shared', async () => {
    const coalescer = new Coalescer<string, string>()
    const work = vi.fn(async () => 'dune')
    await expect(coalescer.run('isbn', live(), work)).resolves.toEqual({ value: 'dune', shared: false, joined: false })
    expect(work).toHaveBeenCalledTimes(1)
  })

  it('runs separate work for different keys', async () => {
    const coalescer = new Coalescer<string, string>()
    const work = vi.fn(async (_signal: AbortSignal) => `value-${work.mock.calls.length}`)

    const [a, b] = await Promise.all([
      coalescer.run('one', live(), work),
      coalescer.run('two', live(), work)
    ])
    expect(work).toHaveBeenCalledTimes(2)
    expect(new Set([a.value, b.value])).toEqual(new Set(['value-1', 'value-2']))
    expect(a.shared).toBe(false)
    expect(b.shared).toBe(false)
  })

  it('starts new work for a call made after the previous work settled', async () => {
    const coalescer = new Coalescer<string, number>()
    let n = 0
    const work = vi.fn(async () => ++n)

    await expect(coalescer.run('isbn', live(), work)).resolves.toEqual({ value: 1, shared: false, joined: false })
    await expect(coalescer.run('isbn', live(), work)).resolves.toEqual({ value: 2, shared: false, joined: false })
    expect(work).toHaveBeenCalledTimes(2)
  })

  it('lets one waiter leave with its own reason without cancelling the work for the others', async () => {
    const coalescer = new Coalescer<string, string>()
    const { work, runs } = controllableWork<string>()
    const leaving = new AbortController()

    const left = settle(coalescer.run('isbn', leaving.signal, work))
    const stays = settle(coalescer.run('isbn', live(), work))
    await flush()

    const reason = new Error('client went away')
    leaving.abort(reason)
    await expect(left).resolves.toEqual({ error: reason })
    expect(runs[0]!.signal.aborted).toBe(false)
    expect(coalescer.size).toBe(1)

    runs[0]!.resolve('dune')
    await expect(stays).resolves.toEqual({ value: { value: 'dune', shared: true, joined: true } })
    expect(work).toHaveBeenCalledTimes(1)
    expect(runs[0]!.signal.aborted).toBe(false)
  })

  it('aborts the work with the last reason when every waiter has left, and starts afresh for a newcomer', async () => {
    const coalescer = new Coalescer<string, string>()
    const { work, runs } = controllableWork<string>()
    const first = new AbortController()
    const second = new AbortController()

    const a = settle(coalescer.run('isbn', first.signal, work))
    const b = settle(coalescer.run('isbn', second.signal, work))
    await flush()

    const firstReason = new Error('first left')
    const lastReason = new Error('last left')
    first.abort(firstReason)
    expect(runs[0]!.signal.aborted).toBe(false)
    second.abort(lastReason)

    expect(runs[0]!.signal.aborted).toBe(true)
    expect(runs[0]!.signal.reason).toBe(lastReason)
    await expect(a).resolves.toEqual({ error: firstReason })
    await expect(b).resolves.toEqual({ error: lastReason })
    expect(coalescer.size).toBe(0)

    const newcomer = coalescer.run('isbn', live(), work)
    await flush()
    expect(work).toHaveBeenCalledTimes(2)
    expect(runs[1]!.signal.aborted).toBe(false)
    runs[1]!.resolve('fresh')
    await expect(newcomer).resolves.toEqual({ value: 'fresh', shared: false, joined: false })
  })

  it('does not let abandoned work that settles late evict the flight that replaced it', async () => {
    const coalescer = new Coalescer<string, string>()
    const stubborn = deferred<string>() // ignores its abort signal
    const fresh = deferred<string>()
    const work = vi.fn()
      .mockImplementationOnce(() => stubborn.promise)
      .mockImplementationOnce(() => fresh.promise)
    const leaving = new AbortController()

    const abandoned = settle(coalescer.run('isbn', leaving.signal, work))
    await flush()
    leaving.abort(new Error('gone'))
    await abandoned

    const newcomer = coalescer.run('isbn', live(), work)
    await flush()
    stubborn.resolve('late')
    await flush()
    expect(coalescer.size).toBe(1)

    const joiner = coalescer.run('isbn', live(), work)
    fresh.resolve('fresh')
    await expect(Promise.all([newcomer, joiner])).resolves.toEqual([
      { value: 'fresh', shared: true, joined: false },
      { value: 'fresh', shared: true, joined: true }
    ])
    expect(work).toHaveBeenCalledTimes(2)
  })

  it('rejects every waiter when the work rejects, and then lets a new call start fresh work', async () => {
    const coalescer = new Coalescer<string, string>()
    const { work, runs } = controllableWork<string>()
    const failure = new Error('upstream exploded')

    const waiters = [1, 2, 3].map(() => settle(coalescer.run('isbn', live(), work)))
    await flush()
    runs[0]!.reject(failure)
    await expect(Promise.all(waiters)).resolves.toEqual([{ error: failure }, { error: failure }, { error: failure }])
    expect(coalescer.size).toBe(0)

    const again = coalescer.run('isbn', live(), work)
    await flush()
    expect(work).toHaveBeenCalledTimes(2)
    runs[1]!.resolve('ok now')
    await expect(again).resolves.toEqual({ value: 'ok now', shared: false, joined: false })
  })

  it('turns work that throws synchronously into a rejection for the waiters', async () => {
    const coalescer = new Coalescer<string, string>()
    const failure = new Error('sync throw')
    const work = vi.fn((): Promise<string> => { throw failure })
    await expect(coalescer.run('isbn', live(), work)).rejects.toBe(failure)
    expect(coalescer.size).toBe(0)
  })

  it('rejects at once with the reason of an already aborted signal, without starting work', async () => {
    const coalescer = new Coalescer<string, string>()
    const work = vi.fn(async () => 'never')
    const controller = new AbortController()
    const reason = new Error('already gone')
    controller.abort(reason)

    await expect(coalescer.run('isbn', controller.signal, work)).rejects.toBe(reason)
    await flush()
    expect(work).not.toHaveBeenCalled()
    expect(coalescer.size).toBe(0)
  })

  it('runs the work exactly once for 1000 concurrent waiters', async () => {
    const coalescer = new Coalescer<string, string>()
    const { work, runs } = controllableWork<string>()

    const waiters = Array.from({ length: 1000 }, () => coalescer.run('isbn', live(), work))
    await flush()
    expect(work).toHaveBeenCalledTimes(1)
    runs[0]!.resolve('dune')

    const results = await Promise.all(waiters)
    expect(results).toHaveLength(1000)
    expect(results.every((r) => r.value === 'dune' && r.shared)).toBe(true)
    expect(work).toHaveBeenCalledTimes(1)
    expect(coalescer.size).toBe(0)
  })
})
