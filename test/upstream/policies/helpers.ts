import type { FetchResult } from '../../../src/domain/outcome.js'

export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

export type Settled<T> = { readonly value: T } | { readonly error: unknown }

/** Observes a promise at once so a rejection is never reported as unhandled while a test waits. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ value }), (error: unknown) => ({ error }))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Lets queued microtasks (and anything they queue) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * A fake upstream request: answers `result` after `ms`, or rejects with the signal's reason as
 * soon as the signal aborts (and then leaves no timer behind).
 */
export function answerAfter(ms: number, result: FetchResult): (signal: AbortSignal) => Promise<FetchResult> {
  return (signal) => new Promise<FetchResult>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(result)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export const ok = (data: unknown = 'book'): FetchResult => ({ status: 'ok', data })
export const upstreamError = (httpStatus?: number, retryAfterMs?: number): FetchResult => ({
  status: 'error',
  detail: httpStatus === undefined ? 'connection reset' : `HTTP ${httpStatus}`,
  ...(httpStatus === undefined ? {} : { httpStatus }),
  ...(retryAfterMs === undefined ? {} : { retryAfterMs })
})
