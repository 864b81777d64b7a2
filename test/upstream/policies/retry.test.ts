import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../../src/domain/outcome.js'
import { isRetryable, retryDelayMs, type RetryContext, type RetryOptions } from '../../../src/upstream/policies/retry.js'
import { ok, upstreamError } from './helpers.js'

// retryDelayMs only decides; the pause, the one second attempt and its `retried` mark are the
// upstream flight's: see upstream-flight.test.ts.

afterEach(() => {
  vi.restoreAllMocks()
})

// A fixed "now", passed to retryDelayMs, so deadlines are exact rather than racing the clock.
const NOW = 10_000

function context(overrides: Partial<RetryContext> = {}): RetryContext {
  return { deadlineAt: NOW + 2000, expectedAttemptMs: 20, ...overrides }
}

const enabled: RetryOptions = { enabled: true, baseDelayMs: 100 }

const delayFor = (first: FetchResult, options = enabled, ctx = context()): number | undefined => retryDelayMs(first, options, ctx, NOW)

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

describe('retryDelayMs', () => {
  it('never retries a successful first answer', () => {
    expect(delayFor(ok('dune'))).toBeUndefined()
  })

  it('retries a retryable failure after a pause', () => {
    expect(delayFor(upstreamError(503))).toEqual(expect.any(Number))
  })

  it.each<[string, FetchResult]>([
    ['500', upstreamError(500)],
    ['404 error', upstreamError(404)],
    ['429', upstreamError(429, 10)],
    ['not_found', { status: 'not_found' }],
    ['invalid_response', { status: 'invalid_response', detail: 'bad JSON' }]
  ])('does not retry a non-retryable answer (%s)', (_name, first) => {
    expect(delayFor(first)).toBeUndefined()
  })

  it('does not retry when retries are disabled', () => {
    expect(delayFor(upstreamError(503), { enabled: false, baseDelayMs: 5 })).toBeUndefined()
  })

  it('pauses between half and one and a half times the base delay', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0)
    expect(delayFor(upstreamError(503))).toBe(50)
    random.mockReturnValue(0.5)
    expect(delayFor(upstreamError(503))).toBe(100)
    random.mockReturnValue(0.999)
    expect(delayFor(upstreamError(503))).toBeCloseTo(149.9)
  })

  it('jitters every pause inside that range', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = delayFor(upstreamError()) as number
      expect(delay).toBeGreaterThanOrEqual(50)
      expect(delay).toBeLessThan(150)
    }
  })

  it('does not retry when the deadline leaves less than the delay plus an expected attempt', () => {
    // The delay is at most 1.5 × 10 ms, the attempt needs 100 ms, only 50 ms are left.
    expect(delayFor(upstreamError(503), { enabled: true, baseDelayMs: 10 }, context({ deadlineAt: NOW + 50, expectedAttemptMs: 100 })))
      .toBeUndefined()
  })

  it('retries when the delay plus an expected attempt just fits', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    expect(delayFor(upstreamError(503), enabled, context({ deadlineAt: NOW + 120, expectedAttemptMs: 20 }))).toBe(100)
  })

  it('does not retry when the deadline has already passed', () => {
    expect(delayFor(upstreamError(), enabled, context({ deadlineAt: NOW - 1, expectedAttemptMs: 0 }))).toBeUndefined()
  })

  it('counts the jittered delay against the deadline (a delay of 1.5 × base does not fit)', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.99)
    const tight = context({ deadlineAt: NOW + 150, expectedAttemptMs: 20 })
    // ≈ 149 ms delay + 20 ms attempt > 150 ms left…
    expect(delayFor(upstreamError(503), enabled, tight)).toBeUndefined()
    // …while at the mean delay (100 ms) it would fit.
    random.mockReturnValue(0.5)
    expect(delayFor(upstreamError(503), enabled, tight)).toBe(100)
  })

  it('waits the upstream Retry-After instead of the backoff when it fits', () => {
    // A backoff of 10 s would never fit: only the Retry-After can make this retry happen.
    expect(delayFor(upstreamError(503, 120), { enabled: true, baseDelayMs: 10_000 }, context({ deadlineAt: NOW + 1000 }))).toBe(120)
  })

  it('does not retry when the Retry-After does not fit the deadline', () => {
    expect(delayFor(upstreamError(503, 5000), { enabled: true, baseDelayMs: 1 }, context({ deadlineAt: NOW + 1000 }))).toBeUndefined()
  })

  it('measures the time left from performance.now() when no clock is given', () => {
    const deadlineAt = performance.now() + 50
    expect(retryDelayMs(upstreamError(503), { enabled: true, baseDelayMs: 10 }, { deadlineAt, expectedAttemptMs: 100 })).toBeUndefined()
    expect(retryDelayMs(upstreamError(503), { enabled: true, baseDelayMs: 10 }, { deadlineAt: deadlineAt + 10_000, expectedAttemptMs: 100 }))
      .toEqual(expect.any(Number))
  })
})
