import { describe, it, expect } from 'vitest'
import { callWithTimeout, type BookSource } from '../../src/aggregate/call-source.js'
import type { FetchResult } from '../../src/domain/outcome.js'

const ISBN = '9780441013593'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface FakeSource extends BookSource {
  calls: Array<{ isbn13: string; signal: AbortSignal }>
}

/** Answers `result` after `ms`, or rejects with the signal's reason as soon as it aborts. */
function delayed(ms: number, result: FetchResult): FakeSource {
  const calls: FakeSource['calls'] = []
  return {
    calls,
    fetchBook(isbn13, signal) {
      calls.push({ isbn13, signal })
      return new Promise<FetchResult>((resolve, reject) => {
        const timer = setTimeout(() => resolve(result), ms)
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(signal.reason)
        }, { once: true })
      })
    }
  }
}

/** Never answers, but rejects when the signal aborts. */
function hanging(): FakeSource {
  const calls: FakeSource['calls'] = []
  return {
    calls,
    fetchBook(isbn13, signal) {
      calls.push({ isbn13, signal })
      return new Promise<FetchResult>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    }
  }
}

/** Never answers and never looks at the signal. */
function deaf(): FakeSource {
  const calls: FakeSource['calls'] = []
  return {
    calls,
    fetchBook(isbn13, signal) {
      calls.push({ isbn13, signal })
      return new Promise<FetchResult>(() => {})
    }
  }
}

const live = (): AbortSignal => new AbortController().signal

/** One section's call as the search makes it: the source's fetch under callWithTimeout. */
function callSource(options: { name: string; source: BookSource; isbn13: string; timeoutMs: number; signal: AbortSignal }): ReturnType<typeof callWithTimeout> {
  const { name, source, isbn13, timeoutMs, signal } = options
  return callWithTimeout({ name, timeoutMs, signal, call: (callSignal, deadlineAt) => source.fetchBook(isbn13, callSignal, deadlineAt) })
}

describe('callWithTimeout', () => {
  it('passes the ISBN-13 to the source and resolves ok with data and a duration', async () => {
    const data = { title: 'Dune' }
    const source = delayed(20, { status: 'ok', data })
    const outcome = await callSource({ name: 'publisher', source, isbn13: ISBN, timeoutMs: 1000, signal: live() })
    expect(outcome).toMatchObject({ status: 'ok', data })
    expect(outcome.durationMs).toBeGreaterThanOrEqual(15)
    expect(outcome.durationMs).toBeLessThan(500)
    expect(Number.isInteger(outcome.durationMs)).toBe(true)
    expect(source.calls).toHaveLength(1)
    expect(source.calls[0]?.isbn13).toBe(ISBN)
  })

  it.each<FetchResult>([
    { status: 'not_found' },
    { status: 'error', httpStatus: 503, detail: 'upstream answered 503' },
    { status: 'invalid_response', detail: 'body is not JSON' }
  ])('passes a $status result through with a duration', async (result) => {
    const outcome = await callSource({ name: 'reviews', source: delayed(5, result), isbn13: ISBN, timeoutMs: 1000, signal: live() })
    expect(outcome).toEqual({ ...result, durationMs: outcome.durationMs })
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('settles a source that honours the signal as timeout at about its timeout', async () => {
    const source = hanging()
    const started = performance.now()
    const outcome = await callSource({ name: 'reviews', source, isbn13: ISBN, timeoutMs: 80, signal: live() })
    const took = performance.now() - started
    expect(outcome).toEqual({ status: 'timeout', durationMs: outcome.durationMs, detail: 'reviews did not answer within 80 ms' })
    expect(outcome.durationMs).toBeGreaterThanOrEqual(75)
    expect(outcome.durationMs).toBeLessThan(400)
    expect(took).toBeLessThan(400)
    const signal = source.calls[0]?.signal
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).toBeInstanceOf(DOMException)
    expect((signal?.reason as DOMException).name).toBe('TimeoutError')
  })

  it('settles a source that ignores the signal as timeout too', async () => {
    const started = performance.now()
    const outcome = await callSource({ name: 'recommendations', source: deaf(), isbn13: ISBN, timeoutMs: 60, signal: live() })
    expect(outcome.status).toBe('timeout')
    expect(outcome.detail).toBe('recommendations did not answer within 60 ms')
    expect(performance.now() - started).toBeLessThan(400)
  })

  it('turns a synchronous throw into an error outcome, not a rejection', async () => {
    const source: BookSource = {
      fetchBook() {
        throw new Error('boom with secrets')
      }
    }
    const outcome = await callSource({ name: 'publisher', source, isbn13: ISBN, timeoutMs: 1000, signal: live() })
    expect(outcome).toEqual({ status: 'error', durationMs: outcome.durationMs, detail: 'publisher failed unexpectedly' })
  })

  it('turns a rejected promise into an error outcome without leaking the message', async () => {
    const source: BookSource = {
      fetchBook: async () => {
        await sleep(10)
        throw new TypeError('internal stack detail')
      }
    }
    const outcome = await callSource({ name: 'reviews', source, isbn13: ISBN, timeoutMs: 1000, signal: live() })
    expect(outcome.status).toBe('error')
    expect(outcome.detail).toBe('reviews failed unexpectedly')
    expect(JSON.stringify(outcome)).not.toContain('internal stack detail')
  })

  it('does not call the source when the parent signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const source = delayed(10, { status: 'not_found' })
    const outcome = await callSource({ name: 'publisher', source, isbn13: ISBN, timeoutMs: 1000, signal: controller.signal })
    expect(outcome).toEqual({ status: 'error', durationMs: 0, detail: 'the request was cancelled' })
    expect(source.calls).toHaveLength(0)
  })

  it('aborts the source when the parent signal aborts mid-flight and settles as cancelled, not timeout', async () => {
    const controller = new AbortController()
    const source = hanging()
    const started = performance.now()
    setTimeout(() => controller.abort(new Error('client went away')), 30)
    const outcome = await callSource({ name: 'reviews', source, isbn13: ISBN, timeoutMs: 1000, signal: controller.signal })
    expect(outcome.status).toBe('error')
    expect(outcome.detail).toBe('the request was cancelled')
    expect(performance.now() - started).toBeLessThan(500)
    expect(source.calls[0]?.signal.aborted).toBe(true)
    expect(source.calls[0]?.signal.reason).toEqual(new Error('client went away'))
  })

  it('settles a deaf source promptly when the parent aborts', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    const started = performance.now()
    const outcome = await callSource({ name: 'publisher', source: deaf(), isbn13: ISBN, timeoutMs: 5000, signal: controller.signal })
    expect(outcome.detail).toBe('the request was cancelled')
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('clears its timer and parent listener once the source has answered', async () => {
    const controller = new AbortController()
    const source = delayed(10, { status: 'ok', data: {} })
    const outcome = await callSource({ name: 'publisher', source, isbn13: ISBN, timeoutMs: 50, signal: controller.signal })
    expect(outcome.status).toBe('ok')
    await sleep(100)
    controller.abort()
    // Neither the (cleared) timeout nor the parent abort may reach a call that has settled.
    expect(source.calls[0]?.signal.aborted).toBe(false)
  })

  it('uses a fresh signal per call, not the parent signal itself', async () => {
    const parent = live()
    const source = delayed(1, { status: 'not_found' })
    await callSource({ name: 'publisher', source, isbn13: ISBN, timeoutMs: 1000, signal: parent })
    expect(source.calls[0]?.signal).not.toBe(parent)
  })
})
