import type { SourceName } from './sources.js'

export type SourceStatus =
  | 'ok'
  | 'not_found'
  | 'timeout'
  | 'error'
  | 'invalid_response'
  | 'circuit_open'
  | 'overloaded'
  | 'skipped'

export type CacheState = 'hit' | 'stale' | 'miss'

/** What one upstream call produced, before timing is attached. */
export type FetchResult =
  | { readonly status: 'ok'; readonly data: unknown }
  | { readonly status: 'not_found' }
  | { readonly status: 'error'; readonly httpStatus?: number; readonly detail: string }
  | { readonly status: 'invalid_response'; readonly detail: string }

/** `sources.<name>` of the BookView, with the section data kept beside it. */
export interface SourceOutcome {
  readonly status: SourceStatus
  readonly durationMs: number
  readonly data?: unknown
  readonly httpStatus?: number
  readonly cache?: CacheState
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
