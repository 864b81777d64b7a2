import type { SourceName } from './sources.js'

export type SourceStatus =
  | 'ok'
  | 'not_found'
  | 'timeout'
  | 'error'
  | 'invalid_response'
  | 'circuit_open'
  | 'overloaded'
  | 'rate_limited'
  | 'skipped'

export type CacheState = 'hit' | 'stale' | 'miss'

/** How the resilience policies shaped a call; shown in `sources.<name>` when true. */
export interface PolicyMarks {
  /** A second attempt was made after a retryable failure. */
  readonly retried?: boolean
  /** A duplicate request was sent because the first was slower than usual. */
  readonly hedged?: boolean
  /** The answer was shared with concurrent requests for the same ISBN. */
  readonly coalesced?: boolean
  /** The upstream call carried this many ISBNs (2 or more): lookups of other books shared it. */
  readonly batched?: number
}

/** What the cache did for a call; `freshForMs` feeds the response's Cache-Control. */
export interface CacheMarks {
  readonly cache?: CacheState
  /** How much longer the data stays fresh (ok / not_found answers only). */
  readonly freshForMs?: number
}

/**
 * Which provider a section came from, in provider mode (see domain/providers.ts): the one that
 * answered, and for a merged section the fields filled in from the others.
 */
export interface ProvenanceMarks {
  readonly provider?: string
  /** Field of the section → the provider it was filled from. */
  readonly filledFrom?: Readonly<Record<string, string>>
}

/** What one upstream call produced, before timing is attached. */
export type FetchResult = PolicyMarks & CacheMarks & ProvenanceMarks & (
  | {
    readonly status: 'ok'
    readonly data: unknown
    /** `data` as JSON text, when the cache has serialized it already (answers splice it in). */
    readonly json?: string
  }
  /** `detail` when the provider said why (a public provider's answer for another book, say). */
  | { readonly status: 'not_found'; readonly detail?: string }
  | {
    readonly status: 'error'
    readonly httpStatus?: number
    readonly detail: string
    /** From the upstream's Retry-After header, when it sent one. */
    readonly retryAfterMs?: number
  }
  | { readonly status: 'invalid_response'; readonly detail: string }
  | { readonly status: 'circuit_open' | 'overloaded'; readonly detail: string }
  /**
   * Not sent: the host's outbound rate budget had no slot before the deadline, or the provider
   * said 429 (or its quota is spent). `retryAfterMs`: how long the provider asked us to wait.
   */
  | { readonly status: 'rate_limited'; readonly detail: string; readonly httpStatus?: number; readonly retryAfterMs?: number }
  /** A section of several providers none of which answered before its deadline. */
  | { readonly status: 'timeout'; readonly detail: string }
)

/** `sources.<name>` of the BookView, with the section data kept beside it. */
export interface SourceOutcome extends PolicyMarks, CacheMarks, ProvenanceMarks {
  readonly status: SourceStatus
  readonly durationMs: number
  readonly data?: unknown
  /** `data` as JSON text, when already serialized (see FetchResult). */
  readonly json?: string
  readonly httpStatus?: number
  readonly detail?: string
}

export type SourceOutcomes = Readonly<Record<SourceName, SourceOutcome>>

/** Statuses that mean the upstream answered; everything else (except skipped) is a failure. */
export function isAnswered(status: SourceStatus): boolean {
  return status === 'ok' || status === 'not_found'
}

export function isFailure(status: SourceStatus): boolean {
  return !isAnswered(status) && status !== 'skipped'
}
