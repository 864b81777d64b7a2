import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../../src/domain/outcome.js'
import { isRetryable, withRetry, type RetryContext } from '../../../src/upstream/policies/retry.js'
import { ok, settle, upstreamError } from './helpers.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** An attempt function that answers the given results in turn and records when each call began and ended. */
function scripted(...results: FetchResult[]) {
  const starts: number[] = []
  const ends: number[] = []
  const attempt = vi.fn(async (): Promise<FetchResult> => {
    starts.push(performance.now())
    const result = results[Math.min(starts.length - 1, results.length - 1)]!
    ends.push(performance.now())
    return result
  })
  return { attempt, starts, ends }
}

function context(overrides: Partial<RetryContext> = {}): RetryContext {
  return {
    signal: new AbortController().signal,
    deadlineAt: performance.now() + 2000,
    expectedAttemptMs: 20,
    ...overrides
  }
}

const enabled = { enabled: true, baseDelayMs: 5 }

describe('isRetryable', () => {
  it.each<[string, FetchResult]>([
    ['a connection failure (error without HTTP status)', upstreamError()],
    ['502 Bad Gateway', upstreamError(502)],
    ['503 Service Unavailable', upstreamError(503)],
    ['503 with Retry-After', upstreamError(503, 1000)],
    ['504 Gateway Timeout', upstreamError(504)]
  ])('retries %s', (_name, result) => {
    expect(isRetryable(result)).toBe(true)
  })

  it.each<[string, FetchResult]>([
    ['500 Internal Server Error', upstreamError(500)],
    ['501 Not Implemented', upstreamError(501)],
    ['505', upstreamError(505)],
    ['400 Bad Request', upstreamError(400)],
    ['404 as an error', upstreamError(404)],
    ['429 Too Many Requests', upstreamError(429, 1000)],
    ['ok', ok()],
    ['not_found', { status: 'not_found' }],
    ['invalid_response', { status: 'invalid_response', detail: 'bad JSON' }],
    ['circuit_open', { status: 'circuit_open', detail: 'open' }],
    ['overloaded', { status: 'overloaded', detail: 'full' }]
  ])('does not retry %s', (_name, result) => {
    expect(isRetryable(result)).toBe(false)
  })
})

describe('withRetry', () => {
  it('returns a successful first answer as it is, without a second attempt', async () => {
    const { attempt } = scripted(ok('dune'))
    await expect(withRetry(attempt, enabled, context())).resolves.toEqual({ status: 'ok', data: 'dune' })
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('retries a retryable failure once and marks the answer as retried', async () => {
    const { attempt } = scripted(upstreamError(503), ok('dune'))
    await expect(withRetry(attempt, enabled, context())).resolves.toEqual({ status: 'ok', data: 'dune', retried: true })
    expect(attempt).toHaveBeenCalledTimes(2)
  })

  it('retries at most once, returning the second failure marked as retried', async () => {
    const { attempt } = scripted(upstreamError(), upstreamError(502), upstreamError(503))
    const result = await withRetry(attempt, enabled, context())
    expect(attempt).toHaveBeenCalledTimes(2)
    expect(result).toEqual({ ...upstreamError(502), retried: true })
  })

  it.each<[string, FetchResult]>([
    ['500', upstreamError(500)],
    ['404 error', upstreamError(404)],
    ['429', upstreamError(429, 10)],
    ['not_found', { status: 'not_found' }],
    ['invalid_response', { status: 'invalid_response', detail: 'bad JSON' }]
  ])('does not retry a non-retryable answer (%s)', async (_name, first) => {
    const { attempt } = scripted(first, ok())
    await expect(withRetry(attempt, enabled, context())).resolves.toBe(first)
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('does not retry when retries are disabled', async () => {
    const first = upstreamError(503)
    const { attempt } = scripted(first, ok())
    await expect(withRetry(attempt, { enabled: false, baseDelayMs: 5 }, context())).resolves.toBe(first)
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('does not retry when the signal aborted during the first attempt', async () => {
    const controller = new AbortController()
    const first = upstreamError(503)
    const attempt = vi.fn(async () => {
      controller.abort(new Error('client left'))
      return first
    })
    await expect(withRetry(attempt, enabled, context({ signal: controller.signal }))).resolves.toBe(first)
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('does not retry when the deadline leaves less than the delay plus an expected attempt', async () => {
    const first = upstreamError(503)
    const { attempt } = scripted(first, ok())
    const started = performance.now()
    // Delay is at most 1.5 × 10 ms, the attempt needs 100 ms, only 50 ms are left.
    const result = await withRetry(attempt, { enabled: true, baseDelayMs: 10 }, context({
      deadlineAt: performance.now() + 50,
      expectedAttemptMs: 100
    }))
    expect(result).toBe(first)
    expect(attempt).toHaveBeenCalledTimes(1)
    expect(performance.now() - started).toBeLessThan(40) // gave up without sleeping
  })

  it('does not retry when the deadline has already passed', async () => {
    const first = upstreamError()
    const { attempt } = scripted(first, ok())
    await expect(withRetry(attempt, enabled, context({ deadlineAt: performance.now() - 1, expectedAttemptMs: 0 })))
      .resolves.toBe(first)
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('counts the jittered delay against the deadline (a delay of 1.5 × base does not fit)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99)
    const first = upstreamError(503)
    const { attempt } = scripted(first, ok())
    // ≈ 149 ms delay + 20 ms attempt > 150 ms left; at the mean delay (100 ms) it would fit.
    const result = await withRetry(attempt, { enabled: true, baseDelayMs: 100 }, context({
      deadlineAt: performance.now() + 150,
      expectedAttemptMs: 20
    }))
    expect(result).toBe(first)
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('pauses between half and one and a half times the base delay', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0)
    const short = scripted(upstreamError(503), ok())
    await withRetry(short.attempt, { enabled: true, baseDelayMs: 100 }, context())
    const shortGap = short.starts[1]! - short.ends[0]!
    expect(shortGap).toBeGreaterThanOrEqual(45) // 0.5 × 100, minus timer granularity
    expect(shortGap).toBeLessThan(140) // clearly not the 1.5 × delay

    random.mockReturnValue(0.999)
    const long = scripted(upstreamError(503), ok())
    await withRetry(long.attempt, { enabled: true, baseDelayMs: 100 }, context())
    expect(long.starts[1]! - long.ends[0]!).toBeGreaterThanOrEqual(140) // ≈ 1.5 × 100
  })

  it('waits the upstream Retry-After instead of the backoff when it fits', async () => {
    const { attempt, starts, ends } = scripted(upstreamError(503, 120), ok('dune'))
    // A backoff of 10 s would never fit: only the Retry-After can make this retry happen.
    const result = await withRetry(attempt, { enabled: true, baseDelayMs: 10_000 }, context({
      deadlineAt: performance.now() + 1000
    }))
    expect(result).toEqual({ status: 'ok', data: 'dune', retried: true })
    expect(attempt).toHaveBeenCalledTimes(2)
    expect(starts[1]! - ends[0]!).toBeGreaterThanOrEqual(115)
  })

  it('does not retry when the Retry-After does not fit the deadline', async () => {
    const first = upstreamError(503, 5000)
    const { attempt } = scripted(first, ok())
    const started = performance.now()
    const result = await withRetry(attempt, { enabled: true, baseDelayMs: 1 }, context({
      deadlineAt: performance.now() + 1000
    }))
    expect(result).toBe(first)
    expect(result).toMatchObject({ retryAfterMs: 5000 })
    expect(attempt).toHaveBeenCalledTimes(1)
    expect(performance.now() - started).toBeLessThan(100)
  })

  it('rejects when the signal aborts during the pause, without a second attempt', async () => {
    const controller = new AbortController()
    const { attempt } = scripted(upstreamError(503, 200), ok())
    const reason = new Error('deadline')
    const started = performance.now()
    setTimeout(() => controller.abort(reason), 20)

    const outcome = await settle(withRetry(attempt, enabled, context({ signal: controller.signal })))
    expect(outcome).toHaveProperty('error')
    const error = (outcome as { error: unknown }).error
    // The rejection carries the caller's reason (Node wraps it as the AbortError's cause).
    expect(error === reason || (error as Error).cause === reason).toBe(true)
    expect(performance.now() - started).toBeLessThan(150) // did not sit out the 200 ms pause
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('propagates a rejection of the first attempt without retrying', async () => {
    const failure = new Error('boom')
    const attempt = vi.fn(async (): Promise<FetchResult> => { throw failure })
    await expect(withRetry(attempt, enabled, context())).rejects.toBe(failure)
    expect(attempt).toHaveBeenCalledTimes(1)
  })
})
