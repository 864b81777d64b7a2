import autocannon from 'autocannon'
import { FIXED_ISBN, randomIsbn13 } from './isbn.js'
import { BOOK_QUERY } from './targets/query.js'

// One autocannon run against one target, with the request shape that target speaks.

export type IsbnMode = 'random' | 'fixed'

export interface LoadPlan {
  readonly url: string
  readonly api: 'rest' | 'graphql'
  readonly isbn: IsbnMode
  readonly connections: number
  /** Seconds of load; ignored when `amount` is set. */
  readonly durationS: number
  /** A fixed number of requests instead of a duration (e.g. 1000 at once for coalescing). */
  readonly amount?: number
  /** Overrides `isbn`: the ISBN of each next request (the soak's mix of random and hot ones). */
  readonly nextIsbn?: () => string
  /**
   * Sees every response with its body (autocannon's onResponse hook) and how long it took,
   * from the request's write to its last byte, in ms.
   */
  readonly onResponse?: (status: number, body: string, elapsedMs: number) => void
}

export interface LoadResult {
  readonly durationS: number
  readonly requests: number
  /** Every response per second, whatever its status. */
  readonly rps: number
  /** 2xx responses per second: what ratios and targets use, so fast errors never count as throughput. */
  readonly okRps: number
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number }
  readonly errors: number
  readonly timeouts: number
  readonly non2xx: number
  readonly statusCodes: Record<string, number>
}

type SetupRequest = NonNullable<autocannon.Request['setupRequest']>

/**
 * With a hook, each request notes its start in autocannon's per-request context: setupRequest
 * runs just before the write (a connection's first request: before it connects), and the
 * context lives until that request's response has been recorded.
 */
function timed(setup: SetupRequest, onResponse: LoadPlan['onResponse']): Pick<autocannon.Request, 'setupRequest' | 'onResponse'> {
  if (onResponse === undefined) return { setupRequest: setup }
  return {
    setupRequest: (request, context) => {
      context.sentAt = performance.now()
      return setup(request, context)
    },
    onResponse: (status, body, context) => onResponse(status, body, performance.now() - (context.sentAt as number))
  }
}

function requestFor(plan: LoadPlan): autocannon.Request {
  const nextIsbn = plan.nextIsbn ?? (plan.isbn === 'random' ? randomIsbn13 : () => FIXED_ISBN)
  if (plan.api === 'graphql') {
    return {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      ...timed((request) => ({ ...request, body: JSON.stringify({ query: BOOK_QUERY, variables: { isbn: nextIsbn() } }) }), plan.onResponse)
    }
  }
  return { method: 'GET', path: `/books/${FIXED_ISBN}`, ...timed((request) => ({ ...request, path: `/books/${nextIsbn()}` }), plan.onResponse) }
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: plan.durationS,
    ...(plan.amount === undefined ? {} : { amount: plan.amount }),
    timeout: 10,
    requests: [requestFor(plan)]
  })
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]))
  // Every response, whatever its status (autocannon's latency histogram counts only 2xx).
  const requests = Object.values(statusCodes).reduce((sum, count) => sum + count, 0)
  return {
    durationS: result.duration,
    requests,
    // Completed responses per second over the whole run (autocannon's own figure is a mean of
    // 1 s samples, which a short or fixed-amount run distorts).
    rps: result.duration > 0 ? requests / result.duration : 0,
    okRps: result.duration > 0 ? result['2xx'] / result.duration : 0,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes
  }
}
