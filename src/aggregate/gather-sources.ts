import type { SourceOutcome, SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { callSource, type BookSource } from './call-source.js'

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
 * Calls every included source concurrently and waits until all of them have settled. A
 * source with a fresh answer at hand (a cache hit) settles at once, without a call.
 */
export async function gatherSources(options: GatherOptions): Promise<SourceOutcomes> {
  const settled: Partial<Record<SourceName, SourceOutcome>> = {}
  const pending: Array<Promise<void>> = []
  for (const name of SOURCE_NAMES) {
    if (!options.include.has(name)) {
      settled[name] = SKIPPED
      continue
    }
    const source = options.sources[name]
    const fresh = source.peekFresh?.(options.isbn13)
    if (fresh !== undefined) {
      const outcome: SourceOutcome = { ...fresh, durationMs: 0 }
      settled[name] = outcome
      options.onSettled?.(name, outcome)
      continue
    }
    pending.push(callSource({
      name,
      source,
      isbn13: options.isbn13,
      timeoutMs: Math.min(options.timeoutsMs[name], options.deadlineMs),
      signal: options.signal,
      trace: options.trace
    }).then((outcome) => {
      settled[name] = outcome
      options.onSettled?.(name, outcome)
    }))
  }
  if (pending.length > 0) await Promise.all(pending)
  // Built in a fixed order, whatever order the sources settled in: the JSON keys stay stable.
  return { publisher: settled.publisher as SourceOutcome, reviews: settled.reviews as SourceOutcome, recommendations: settled.recommendations as SourceOutcome }
}
