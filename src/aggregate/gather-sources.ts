import type { FetchResult, SourceOutcome, SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { cancelled, failedUnexpectedly, startCall, timedOut, timeoutReason, type BookSource } from './call-source.js'
import { SectionTimers } from './section-timers.js'

export type BookSources = Readonly<Record<SourceName, BookSource>>

export interface GatherOptions {
  readonly isbn13: string
  readonly include: ReadonlySet<SourceName>
  readonly sources: BookSources
  readonly timeoutsMs: Readonly<Record<SourceName, number>>
  /** Budget of the whole gathering; no call may outlive it. */
  readonly deadlineMs: number
  /** Aborts every in-flight call at once, e.g. when the client disconnects. */
  readonly signal: AbortSignal
  readonly trace?: TraceContext
  /** Called as each source settles, in completion order (streaming endpoints use it). */
  readonly onSettled?: (name: SourceName, outcome: SourceOutcome) => void
}

const SKIPPED: SourceOutcome = { status: 'skipped', durationMs: 0 }

/**
 * Calls every included source concurrently and resolves once all of them have settled; never
 * rejects. A source with a fresh answer at hand (a cache hit) settles at once, without a call.
 * Each call has its own signal and its own timeout, but the machinery is the request's: one
 * promise for the gathering, one listener on the parent signal and one timer per distinct
 * timeout (usually one for all three), not a promise, a timer and two listeners per call.
 * The timer and the parent's abort settle a call's outcome themselves, so a source that
 * ignores its signal cannot hold the answer up.
 */
export function gatherSources(options: GatherOptions): Promise<SourceOutcomes> {
  const settled: Partial<Record<SourceName, SourceOutcome>> = {}
  const calls: SourceName[] = []
  for (const name of SOURCE_NAMES) {
    if (!options.include.has(name)) {
      settled[name] = SKIPPED
      continue
    }
    const fresh = options.sources[name].peekFresh?.(options.isbn13)
    if (fresh === undefined) {
      calls.push(name)
      continue
    }
    const outcome: SourceOutcome = { ...fresh, durationMs: 0 }
    settled[name] = outcome
    options.onSettled?.(name, outcome)
  }
  if (calls.length === 0) return Promise.resolve(inOrder(settled))
  if (options.signal.aborted) {
    for (const name of calls) settled[name] = cancelled(0)
    return Promise.resolve(inOrder(settled))
  }
  return new Promise((resolve) => gather(options, calls, settled, resolve))
}

function gather(
  options: GatherOptions, calls: readonly SourceName[], settled: Partial<Record<SourceName, SourceOutcome>>, resolve: (outcomes: SourceOutcomes) => void
): void {
  const { signal, isbn13, trace } = options
  const started = performance.now()
  const controllers: Partial<Record<SourceName, AbortController>> = {}
  let pending = calls.length

  const settle = (name: SourceName, outcome: SourceOutcome): void => {
    if (settled[name] !== undefined) return
    settled[name] = outcome
    timers.settled(name)
    options.onSettled?.(name, outcome)
    if (--pending > 0) return
    timers.clear()
    signal.removeEventListener('abort', cancel)
    resolve(inOrder(settled))
  }
  const elapsed = (): number => Math.round(performance.now() - started)
  const timers = new SectionTimers<SourceName>((name, timeoutMs) => {
    controllers[name]?.abort(timeoutReason(name))
    settle(name, timedOut(name, timeoutMs, elapsed()))
  })
  const cancel = (): void => {
    for (const name of calls) {
      if (settled[name] !== undefined) continue
      controllers[name]?.abort(signal.reason)
      settle(name, cancelled(elapsed()))
    }
  }
  // No `{ once: true }` (Node copies an options object per add): settling the last call removes it.
  signal.addEventListener('abort', cancel)

  for (const name of calls) {
    const timeoutMs = Math.min(options.timeoutsMs[name], options.deadlineMs)
    const controller = new AbortController()
    controllers[name] = controller
    timers.add(name, timeoutMs)
    const source = options.sources[name]
    const answered = (result: FetchResult): void => settle(name, { ...result, durationMs: elapsed() })
    const failed = (): void => settle(name, failedUnexpectedly(name, elapsed()))
    if (source.fetchBookThen === undefined) {
      startCall(() => source.fetchBook(isbn13, controller.signal, started + timeoutMs, trace)).then(answered, failed)
      continue
    }
    try {
      source.fetchBookThen(isbn13, controller.signal, started + timeoutMs, trace, answered, failed)
    } catch {
      // Later, as a rejected promise would: the calls after this one still start first.
      queueMicrotask(failed)
    }
  }
}

/** Built in a fixed order, whatever order the sources settled in: the JSON keys stay stable. */
function inOrder(settled: Partial<Record<SourceName, SourceOutcome>>): SourceOutcomes {
  return { publisher: settled.publisher as SourceOutcome, reviews: settled.reviews as SourceOutcome, recommendations: settled.recommendations as SourceOutcome }
}
