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

/** Calls every included source concurrently and waits until all of them have settled. */
export async function gatherSources(options: GatherOptions): Promise<SourceOutcomes> {
  const calls = SOURCE_NAMES.map(async (name): Promise<SourceOutcome> => {
    if (!options.include.has(name)) return SKIPPED
    const outcome = await callSource({
      name,
      source: options.sources[name],
      isbn13: options.isbn13,
      timeoutMs: Math.min(options.timeoutsMs[name], options.deadlineMs),
      signal: options.signal,
      trace: options.trace
    })
    options.onSettled?.(name, outcome)
    return outcome
  })
  const [publisher, reviews, recommendations] = await Promise.all(calls) as [SourceOutcome, SourceOutcome, SourceOutcome]
  return { publisher, reviews, recommendations }
}
