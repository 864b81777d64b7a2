import type { FetchResult, SourceOutcome } from '../domain/outcome.js'
import type { TraceContext } from '../tracing/trace-context.js'

/** Anything that can fetch one section of a book: an upstream client, or a fake in tests. */
export interface BookSource {
  /**
   * `deadlineAt` (a `performance.now()` time) tells retries how much time is left; `trace`
   * is the request's, forwarded to the upstream (a shared call carries its first caller's).
   */
  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult>
  /**
   * An answer the source can give at once, with no I/O and no waiting (a fresh cache hit), or
   * undefined when it has to be fetched. Spares such answers the timer, signal and promises
   * of a real call.
   */
  peekFresh?(isbn13: string): FetchResult | undefined
  /**
   * `fetchBook`, handing the answer to callbacks instead of returning a promise; a failure is
   * `fail`'s. Optional: a source wrapping another (the cache) implements it so as to add no
   * promise of its own to the inner source's, the one a caller's `then` would otherwise need.
   */
  fetchBookThen?(
    isbn13: string, signal: AbortSignal, deadlineAt: number, trace: TraceContext | undefined,
    settle: (result: FetchResult) => void, fail: () => void
  ): void
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
 * The timer and the parent's abort settle the outcome themselves, so a source that ignores
 * its signal cannot hold the answer up (and no extra listener or promise is needed for it).
 */
export function callWithTimeout(options: CallWithTimeoutOptions): Promise<SourceOutcome> {
  const { name, call, timeoutMs, signal } = options
  const started = performance.now()
  if (signal.aborted) return Promise.resolve(cancelled(0))

  return new Promise<SourceOutcome>((resolve) => {
    const controller = new AbortController()
    let settled = false
    const settle = (outcome: SourceOutcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', cancel)
      resolve(outcome)
    }
    const elapsed = (): number => Math.round(performance.now() - started)
    const timer = setTimeout(() => {
      controller.abort(timeoutReason(name))
      settle(timedOut(name, timeoutMs, elapsed()))
    }, timeoutMs)
    const cancel = (): void => {
      controller.abort(signal.reason)
      settle(cancelled(elapsed()))
    }
    signal.addEventListener('abort', cancel, { once: true })

    startCall(() => call(controller.signal, started + timeoutMs)).then(
      (result) => settle({ ...result, durationMs: elapsed() }),
      () => settle(failedUnexpectedly(name, elapsed()))
    )
  })
}

// What a call under a timeout settles as when it does not answer: the same for a search as for
// the sections of a book (gather-sources), which run the same steps with shared timers.

/** Starts a call; one that throws instead of returning a promise becomes a rejected promise. */
export function startCall(call: () => Promise<FetchResult>): Promise<FetchResult> {
  try {
    return call()
  } catch {
    return Promise.reject(new Error('the source threw'))
  }
}

/** The reason a timed-out call's signal aborts with. */
export function timeoutReason(name: string): DOMException {
  return new DOMException(`${name} timed out`, 'TimeoutError')
}

export function timedOut(name: string, timeoutMs: number, durationMs: number): SourceOutcome {
  return { status: 'timeout', durationMs, detail: `${name} did not answer within ${timeoutMs} ms` }
}

export function cancelled(durationMs: number): SourceOutcome {
  return { status: 'error', durationMs, detail: 'the request was cancelled' }
}

/** A rejection or a throw: its message stays out of the answer (it may hold internals). */
export function failedUnexpectedly(name: string, durationMs: number): SourceOutcome {
  return { status: 'error', durationMs, detail: `${name} failed unexpectedly` }
}
