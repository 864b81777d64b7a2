import { BrokenCircuitError, CircuitState, type CircuitBreakerPolicy } from 'cockatiel'
import { describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../../src/domain/outcome.js'
import {
  breakerStateName, createCircuitBreaker, isUpstreamFailure, type CircuitBreakerOptions
} from '../../../src/upstream/policies/circuit-breaker.js'
import { deferred, ok, settle, sleep, upstreamError } from './helpers.js'

const HALF_OPEN_AFTER_MS = 100

function breakerWith(overrides: Partial<CircuitBreakerOptions> = {}): CircuitBreakerPolicy {
  return createCircuitBreaker({
    consecutiveFailures: 3,
    failureRate: 0.5,
    windowMs: 1000,
    minCalls: 1000, // keeps the failure-rate path out of the way unless a test wants it
    halfOpenAfterMs: HALF_OPEN_AFTER_MS,
    ...overrides
  })
}

const answer = (breaker: CircuitBreakerPolicy, result: FetchResult): Promise<FetchResult> =>
  breaker.execute(async () => result)

const throwing = (breaker: CircuitBreakerPolicy, error: unknown): Promise<FetchResult> =>
  breaker.execute(async (): Promise<FetchResult> => { throw error })

async function openIt(breaker: CircuitBreakerPolicy): Promise<void> {
  for (let i = 0; i < 3; i++) await answer(breaker, upstreamError(503))
  expect(breakerStateName(breaker.state)).toBe('open')
}

const timeoutError = (): Error => new DOMException('publisher timed out', 'TimeoutError')

describe('isUpstreamFailure', () => {
  it.each<[FetchResult, boolean]>([
    [upstreamError(), true],
    [upstreamError(500), true],
    [upstreamError(404), true],
    [{ status: 'invalid_response', detail: 'bad JSON' }, true],
    [ok(), false],
    [{ status: 'not_found' }, false],
    [{ status: 'overloaded', detail: 'full' }, false],
    [{ status: 'circuit_open', detail: 'open' }, false]
  ])('%j → %s', (result, expected) => {
    expect(isUpstreamFailure(result)).toBe(expected)
  })
})

describe('breakerStateName', () => {
  it.each<[CircuitState, string]>([
    [CircuitState.Closed, 'closed'],
    [CircuitState.Open, 'open'],
    [CircuitState.Isolated, 'open'],
    [CircuitState.HalfOpen, 'half_open']
  ])('%s → %s', (state, name) => {
    expect(breakerStateName(state)).toBe(name)
  })
})

describe('createCircuitBreaker', () => {
  it('stays closed below the consecutive failure threshold and passes results through', async () => {
    const breaker = breakerWith()
    const failure = upstreamError(503)
    await expect(answer(breaker, failure)).resolves.toBe(failure)
    await expect(answer(breaker, failure)).resolves.toBe(failure)
    expect(breakerStateName(breaker.state)).toBe('closed')
  })

  it('opens after 3 consecutive errors and then fails fast with BrokenCircuitError', async () => {
    const breaker = breakerWith()
    await openIt(breaker)

    const fn = vi.fn(async () => ok())
    const calls = 200
    const started = performance.now()
    for (let i = 0; i < calls; i++) {
      await expect(breaker.execute(fn)).rejects.toBeInstanceOf(BrokenCircuitError)
    }
    const perCall = (performance.now() - started) / calls
    expect(perCall).toBeLessThan(5)
    expect(fn).not.toHaveBeenCalled()
    expect(breakerStateName(breaker.state)).toBe('open')
  })

  it('needs the failures to be consecutive: a success in between resets the count', async () => {
    const breaker = breakerWith()
    await answer(breaker, upstreamError())
    await answer(breaker, upstreamError())
    await answer(breaker, ok())
    await answer(breaker, upstreamError())
    await answer(breaker, upstreamError())
    expect(breakerStateName(breaker.state)).toBe('closed')
    await answer(breaker, upstreamError())
    expect(breakerStateName(breaker.state)).toBe('open')
  })

  it('counts invalid responses as failures', async () => {
    const breaker = breakerWith()
    for (let i = 0; i < 3; i++) await answer(breaker, { status: 'invalid_response', detail: 'bad JSON' })
    expect(breakerStateName(breaker.state)).toBe('open')
  })

  it.each<[string, FetchResult]>([
    ['ok', ok()],
    ['not_found', { status: 'not_found' }],
    ['overloaded', { status: 'overloaded', detail: 'bulkhead full' }]
  ])('does not count %s results as failures', async (_name, result) => {
    const breaker = breakerWith()
    for (let i = 0; i < 10; i++) await expect(answer(breaker, result)).resolves.toBe(result)
    expect(breakerStateName(breaker.state)).toBe('closed')
  })

  it('lets one probe through after halfOpenAfterMs and closes again when it succeeds', async () => {
    const breaker = breakerWith()
    await openIt(breaker)
    await expect(answer(breaker, ok())).rejects.toBeInstanceOf(BrokenCircuitError)

    await sleep(HALF_OPEN_AFTER_MS + 50)
    const probe = deferred<FetchResult>()
    const probeFn = vi.fn(() => probe.promise)
    const probing = breaker.execute(probeFn)
    expect(probeFn).toHaveBeenCalledTimes(1)
    expect(breakerStateName(breaker.state)).toBe('half_open')

    // A second call during the probe does not reach the upstream before the probe settles.
    const followerFn = vi.fn(async () => ok('follower'))
    const follower = breaker.execute(followerFn)
    await sleep(20)
    expect(followerFn).not.toHaveBeenCalled()
    expect(breakerStateName(breaker.state)).toBe('half_open')

    probe.resolve(ok('probe'))
    await expect(probing).resolves.toEqual(ok('probe'))
    expect(breakerStateName(breaker.state)).toBe('closed')
    await expect(follower).resolves.toEqual(ok('follower'))
    expect(followerFn).toHaveBeenCalledTimes(1)
  })

  it('re-opens when the probe fails', async () => {
    const breaker = breakerWith()
    await openIt(breaker)
    await sleep(HALF_OPEN_AFTER_MS + 50)

    const failure = upstreamError(503)
    await expect(answer(breaker, failure)).resolves.toBe(failure)
    expect(breakerStateName(breaker.state)).toBe('open')
    await expect(answer(breaker, ok())).rejects.toBeInstanceOf(BrokenCircuitError)

    // …and offers another probe after the same pause.
    await sleep(HALF_OPEN_AFTER_MS + 50)
    await expect(answer(breaker, ok())).resolves.toEqual(ok())
    expect(breakerStateName(breaker.state)).toBe('closed')
  })

  it('needs the full threshold again after closing: the consecutive count was reset by the probe', async () => {
    const breaker = breakerWith()
    await openIt(breaker)
    await sleep(HALF_OPEN_AFTER_MS + 50)
    await answer(breaker, ok())
    expect(breakerStateName(breaker.state)).toBe('closed')

    await answer(breaker, upstreamError())
    await answer(breaker, upstreamError())
    expect(breakerStateName(breaker.state)).toBe('closed')
  })

  it('counts a thrown TimeoutError as a failure and rethrows it', async () => {
    const breaker = breakerWith()
    for (let i = 0; i < 3; i++) {
      const error = timeoutError()
      await expect(throwing(breaker, error)).rejects.toBe(error)
    }
    expect(breakerStateName(breaker.state)).toBe('open')
  })

  it('recognises a timeout by its name, whatever the error class', async () => {
    const breaker = breakerWith()
    for (let i = 0; i < 3; i++) {
      const error = new Error('timed out')
      error.name = 'TimeoutError'
      await settle(throwing(breaker, error))
    }
    expect(breakerStateName(breaker.state)).toBe('open')
  })

  it('does not open for other thrown errors (client aborts), and rethrows them', async () => {
    const breaker = breakerWith()
    const errors = [
      new DOMException('This operation was aborted', 'AbortError'),
      new Error('client closed the connection'),
      new TypeError('bug')
    ]
    for (let i = 0; i < 10; i++) {
      const error = errors[i % errors.length]
      await expect(throwing(breaker, error)).rejects.toBe(error)
    }
    expect(breakerStateName(breaker.state)).toBe('closed')
  })

  it('treats client aborts as neutral: they neither count as failures nor reset the count', async () => {
    const breaker = breakerWith()
    await answer(breaker, upstreamError())
    await answer(breaker, upstreamError())
    await settle(throwing(breaker, new DOMException('aborted', 'AbortError')))
    expect(breakerStateName(breaker.state)).toBe('closed')
    await answer(breaker, upstreamError())
    expect(breakerStateName(breaker.state)).toBe('open')
  })

  describe('failure-rate path', () => {
    const rateBreaker = (): CircuitBreakerPolicy => breakerWith({
      consecutiveFailures: 100,
      failureRate: 0.5,
      windowMs: 1000,
      minCalls: 10
    })

    it('opens when more than failureRate of the calls in the window fail (alternating, error first)', async () => {
      const breaker = rateBreaker()
      let rejectedAfter: number | undefined
      for (let i = 0; i < 30 && rejectedAfter === undefined; i++) {
        const outcome = await settle(answer(breaker, i % 2 === 0 ? upstreamError(503) : ok()))
        if ('error' in outcome) {
          expect(outcome.error).toBeInstanceOf(BrokenCircuitError)
          rejectedAfter = i
        }
      }
      // Opens on the 11th call (6 errors of 11 > 50 %, with ≥ 10 calls); the 12th is refused.
      expect(rejectedAfter).toBeDefined()
      expect(rejectedAfter!).toBeLessThanOrEqual(20)
      expect(breakerStateName(breaker.state)).toBe('open')
    })

    it('does not open while the window has seen fewer than minCalls calls', async () => {
      const breaker = rateBreaker()
      for (let i = 0; i < 9; i++) await answer(breaker, upstreamError())
      expect(breakerStateName(breaker.state)).toBe('closed')
      await answer(breaker, upstreamError()) // the 10th call: 100 % failures over minCalls
      expect(breakerStateName(breaker.state)).toBe('open')
    })

    it('opens only when the failure share strictly exceeds failureRate (cockatiel semantics)', async () => {
      const breaker = rateBreaker()
      // ok first: after every error exactly half of the calls failed, never more.
      for (let i = 0; i < 30; i++) await answer(breaker, i % 2 === 0 ? ok() : upstreamError())
      expect(breakerStateName(breaker.state)).toBe('closed')
      await answer(breaker, upstreamError()) // 16 of 31 > 50 %
      expect(breakerStateName(breaker.state)).toBe('open')
    })

    it('stays closed when failures stay below the rate', async () => {
      const breaker = rateBreaker()
      // One error in three, 60 calls.
      for (let i = 0; i < 60; i++) await answer(breaker, i % 3 === 0 ? upstreamError() : ok())
      expect(breakerStateName(breaker.state)).toBe('closed')
    })
  })
})
