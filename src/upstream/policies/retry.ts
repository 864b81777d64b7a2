import type { FetchResult } from '../../domain/outcome.js'

export interface RetryOptions {
  readonly enabled: boolean
  /** Mean pause before the retry; the actual pause is jittered between half and 1.5×. */
  readonly baseDelayMs: number
}

export interface RetryContext {
  /** `performance.now()` by which the whole call must be over. */
  readonly deadlineAt: number
  /** Time a retry needs to be worth sending (e.g. the upstream's usual latency). */
  readonly expectedAttemptMs: number
}

const RETRYABLE_STATUSES = new Set([502, 503, 504])

/** Connection failures and gateway-style answers may succeed on a second try; 4xx never will. */
export function isRetryable(result: FetchResult): boolean {
  return result.status === 'error' && (result.httpStatus === undefined || RETRYABLE_STATUSES.has(result.httpStatus))
}

/**
 * How long to pause before the one retry of a failed first attempt, or `undefined` for no
 * retry: only retryable failures, and only when the retry can still finish inside the
 * deadline (a retry that cannot beat it only adds load to an upstream already struggling).
 * The upstream's Retry-After replaces the jittered backoff. Timeouts are never retried: they
 * end the whole call.
 */
export function retryDelayMs(first: FetchResult, options: RetryOptions, context: RetryContext, now = performance.now()): number | undefined {
  if (!options.enabled || !isRetryable(first)) return undefined
  const retryAfterMs = first.status === 'error' ? first.retryAfterMs : undefined
  const delayMs = retryAfterMs ?? options.baseDelayMs * (0.5 + Math.random())
  return delayMs + context.expectedAttemptMs > context.deadlineAt - now ? undefined : delayMs
}
