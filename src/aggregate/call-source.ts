import type { FetchResult, SourceOutcome } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'

/** Anything that can fetch one section of a book: an upstream client, or a fake in tests. */
export interface BookSource {
  /**
   * `deadlineAt` (a `performance.now()` time) tells retries how much time is left; `trace`
   * is the request's, forwarded to the upstream (a shared call carries its first caller's).
   */
  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult>
}

export interface CallSourceOptions {
  readonly name: SourceName
  readonly source: BookSource
  readonly isbn13: string
  readonly timeoutMs: number
  /** Aborts when the client goes away (or the whole request is cancelled). */
  readonly signal: AbortSignal
  readonly trace?: TraceContext
}

/** One book section from one source, under its own timeout. */
export function callSource(options: CallSourceOptions): Promise<SourceOutcome> {
  const { source, isbn13, trace } = options
  return callWithTimeout({ ...options, call: (signal, deadlineAt) => source.fetchBook(isbn13, signal, deadlineAt, trace) })
}

export interface CallWithTimeoutOptions {
  /** Names the upstream in the timeout's detail. */
  readonly name: string
  readonly timeoutMs: number
  readonly signal: AbortSignal
  readonly call: (signal: AbortSignal, deadlineAt: number) => Promise<FetchResult>
}

/**
 * One upstream call with its own timeout. Always resolves to an outcome: a slow, broken or
 * misbehaving source settles its own section and never rejects the gathering around it.
 */
export async function callWithTimeout(options: CallWithTimeoutOptions): Promise<SourceOutcome> {
  const { name, call, timeoutMs, signal } = options
  const started = performance.now()
  const elapsed = (): number => Math.round(performance.now() - started)
  if (signal.aborted) return { status: 'error', durationMs: 0, detail: 'the request was cancelled' }

  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DOMException(`${name} timed out`, 'TimeoutError'))
  }, timeoutMs)
  const cancel = (): void => controller.abort(signal.reason)
  signal.addEventListener('abort', cancel, { once: true })

  try {
    const result = await settleOnAbort(call(controller.signal, started + timeoutMs), controller.signal)
    return { ...result, durationMs: elapsed() }
  } catch {
    if (timedOut) {
      return { status: 'timeout', durationMs: elapsed(), detail: `${name} did not answer within ${timeoutMs} ms` }
    }
    const detail = signal.aborted ? 'the request was cancelled' : `${name} failed unexpectedly`
    return { status: 'error', durationMs: elapsed(), detail }
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', cancel)
  }
}

/** Rejects as soon as the signal aborts, even if the source itself ignores the signal. */
function settleOnAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
