import type { CacheState } from './outcome.js'
import type { SourceName } from './sources.js'

/**
 * What the upstream, cache and policy layers report as they work. The metrics plugin
 * implements it; layers stay free of any metrics library, and tests can pass a no-op.
 */
export interface UpstreamObserver {
  /** One HTTP request to an upstream finished (hedges and retries each count). */
  upstreamRequest(source: string, outcome: string, seconds: number): void
  retried(source: string): void
  hedgeSent(source: string): void
  hedgeWon(source: string): void
  /** A hedge was due but not sent: our own event loop was late, the upstream was not slow. */
  hedgeSkippedBusy(source: string): void
  /** A caller joined an upstream call already in flight. */
  coalesced(source: string): void
  /** One batch request went out to `source`'s `endpoint` carrying `size` ISBNs. */
  batchSent(source: string, endpoint: string, size: number): void
  cache(source: SourceName, state: CacheState): void
}

export const NO_OBSERVER: UpstreamObserver = {
  upstreamRequest: () => undefined,
  retried: () => undefined,
  hedgeSent: () => undefined,
  hedgeWon: () => undefined,
  hedgeSkippedBusy: () => undefined,
  coalesced: () => undefined,
  batchSent: () => undefined,
  cache: () => undefined
}
