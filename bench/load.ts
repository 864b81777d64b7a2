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
  /** Sees every response with its body (autocannon's onResponse hook). */
  readonly onResponse?: (status: number, body: string) => void
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

function requestFor(plan: LoadPlan): autocannon.Request {
  const nextIsbn = plan.nextIsbn ?? (plan.isbn === 'random' ? randomIsbn13 : () => FIXED_ISBN)
  const hook = plan.onResponse === undefined ? {} : { onResponse: plan.onResponse }
  if (plan.api === 'graphql') {
    return {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: BOOK_QUERY, variables: { isbn: nextIsbn() } }) }),
      ...hook
    }
  }
  return { method: 'GET', path: `/books/${FIXED_ISBN}`, setupRequest: (request) => ({ ...request, path: `/books/${nextIsbn()}` }), ...hook }
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
