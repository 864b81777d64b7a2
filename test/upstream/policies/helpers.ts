import type { FetchResult } from '../../../src/domain/outcome.js'

export type Settled<T> = { readonly value: T } | { readonly error: unknown }

/** Observes a promise at once so a rejection is never reported as unhandled while a test waits. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ value }), (error: unknown) => ({ error }))
}

/** Whether a promise has settled yet, readable at any moment (and its rejection is handled). */
export function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly outcome: Promise<Settled<T>> } {
  const state = { settled: false, outcome: settle(promise) }
  void state.outcome.then(() => { state.settled = true })
  return state
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export const ok = (data: unknown = 'book'): FetchResult => ({ status: 'ok', data })
export const upstreamError = (httpStatus?: number, retryAfterMs?: number): FetchResult => ({
  status: 'error',
  detail: httpStatus === undefined ? 'connection reset' : `HTTP ${httpStatus}`,
  ...(httpStatus === undefined ? {} : { httpStatus }),
  ...(retryAfterMs === undefined ? {} : { retryAfterMs })
})
