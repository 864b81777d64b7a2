import { setTimeout as sleep } from 'node:timers/promises'
import type { FetchResult } from '../../domain/outcome.js'

export interface RetryOptions {
  readonly enabled: boolean
  /** Mean pause before the retry; the actual pause is jittered between half and 1.5×. */
  readonly baseDelayMs: number
}

export interface RetryContext {
  readonly signal: AbortSignal
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
 * At most one retry, and only when it can still finish inside the deadline: a retry that
 * cannot beat the deadline only adds load to an upstream that is already struggling.
 * Timeouts are never retried here: they abort the whole call and reject.
 */
export async function withRetry(
  attempt: () => Promise<FetchResult>,
  options: RetryOptions,
  context: RetryContext
): Promise<FetchResult> {
  const first = await attempt()
  if (!options.enabled || !isRetryable(first) || context.signal.aborted) return first

  const retryAfterMs = first.status === 'error' ? first.retryAfterMs : undefined
  const delayMs = retryAfterMs ?? options.baseDelayMs * (0.5 + Math.random())
  const remainingMs = context.deadlineAt - performance.now()
  if (delayMs + context.expectedAttemptMs > remainingMs) return first

  await sleep(delayMs, undefined, { signal: context.signal })
  const second = await attempt()
  return { ...second, retried: true }
}
