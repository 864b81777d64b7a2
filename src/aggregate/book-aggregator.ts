import type { NormalizedIsbn } from '../domain/isbn.js'
import type { SourceOutcome, SourceOutcomes } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import { gatherSources, type BookSources } from './gather-sources.js'
import { settleBookView, type SettledBook } from './settle-book-view.js'

export interface BookAggregatorOptions {
  readonly sources: BookSources
  readonly timeoutsMs: Readonly<Record<SourceName, number>>
  readonly deadlineMs: number
}

export interface AggregatedBook extends SettledBook {
  readonly outcomes: SourceOutcomes
}

/** Looks one book up across its sources: what every book endpoint (single, batch, SSE) shares. */
export class BookAggregator {
  constructor(private readonly options: BookAggregatorOptions) {}

  async lookup(
    isbn: NormalizedIsbn,
    include: ReadonlySet<SourceName>,
    signal: AbortSignal,
    trace?: TraceContext,
    onSettled?: (name: SourceName, outcome: SourceOutcome) => void
  ): Promise<AggregatedBook> {
    const outcomes = await gatherSources({
      isbn13: isbn.isbn13,
      include,
      sources: this.options.sources,
      timeoutsMs: this.options.timeoutsMs,
      deadlineMs: this.options.deadlineMs,
      signal,
      trace,
      onSettled
    })
    const { verdict, view } = settleBookView(isbn, outcomes)
    return { verdict, view, outcomes }
  }
}
