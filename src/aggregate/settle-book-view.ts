import type { BookView, SourceReport, SourceReports } from '../domain/book-view.js'
import type { NormalizedIsbn } from '../domain/isbn.js'
import { isFailure, type SourceOutcome, type SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'

/**
 * What the gathered outcomes add up to:
 * - `found`: the publisher is `ok`, or some source is `ok` and the publisher did not say
 *   `not_found` — a BookView, partial when a source failed.
 * - `not_found`: the publisher said the book does not exist, or no source is `ok` and every
 *   included one said `not_found` (nobody knows the book).
 * - `failed` / `timed_out`: no source is `ok` and at least one failed; `timed_out` when every
 *   failure is a timeout. Answers of `not_found` beside failures prove nothing, so the
 *   failures decide.
 */
export type Verdict = 'found' | 'not_found' | 'failed' | 'timed_out'

export interface SettledBook {
  readonly verdict: Verdict
  readonly view: BookView
}

export function settleBookView(isbn: NormalizedIsbn, outcomes: SourceOutcomes): SettledBook {
  const tally = tallyOf(outcomes)
  const view: BookView = {
    isbn: isbn.isbn13,
    isbn10: isbn.isbn10,
    isbnHyphenated: isbn.hyphenated ?? null,
    registrationGroup: isbn.group ?? null,
    publisher: sectionOf(outcomes.publisher),
    reviews: sectionOf(outcomes.reviews),
    recommendations: sectionOf(outcomes.recommendations),
    sources: reportsOf(outcomes),
    complete: tally.failures === 0
  }
  return { verdict: verdictOf(outcomes, tally), view }
}

interface Tally {
  readonly found: boolean
  /** Included sources that failed (isFailure); `timeouts` of them timed out. */
  readonly failures: number
  readonly timeouts: number
}

/** One pass over the sources, without arrays, for both the verdict and completeness: this runs for every answer. */
function tallyOf(outcomes: SourceOutcomes): Tally {
  let found = false
  let failures = 0
  let timeouts = 0
  for (const name of SOURCE_NAMES) {
    const { status } = outcomes[name]
    if (status === 'ok') found = true
    else if (isFailure(status)) {
      failures++
      if (status === 'timeout') timeouts++
    }
  }
  return { found, failures, timeouts }
}

function verdictOf(outcomes: SourceOutcomes, { found, failures, timeouts }: Tally): Verdict {
  if (outcomes.publisher.status === 'not_found') return 'not_found'
  if (found) return 'found'
  if (failures === 0) return 'not_found'
  return timeouts === failures ? 'timed_out' : 'failed'
}

export function sectionOf(outcome: SourceOutcome): unknown {
  return outcome.status === 'ok' ? outcome.data ?? null : null
}

/** `sources.<name>` as clients see it: the outcome without its data and internal marks. */
export function reportOf(outcome: SourceOutcome): SourceReport {
  const { status, durationMs, httpStatus, cache, detail, retried, hedged, coalesced, batched, provider, filledFrom } = outcome
  const out: SourceReport = { status, durationMs }
  if (httpStatus !== undefined) out.httpStatus = httpStatus
  if (cache !== undefined) out.cache = cache
  if (detail !== undefined) out.detail = detail
  if (retried === true) out.retried = true
  if (hedged === true) out.hedged = true
  if (coalesced === true) out.coalesced = true
  if (batched !== undefined) out.batched = batched
  if (provider !== undefined) out.provider = provider
  if (filledFrom !== undefined) out.filledFrom = filledFrom
  return out
}

export function reportsOf(outcomes: SourceOutcomes): SourceReports {
  return {
    publisher: reportOf(outcomes.publisher),
    reviews: reportOf(outcomes.reviews),
    recommendations: reportOf(outcomes.recommendations)
  }
}
