import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { UpstreamObserver } from '../domain/observer.js'
import type { CacheState } from '../domain/outcome.js'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'
import { SeriesHistogram } from './series-histogram.js'

/** Live state the gauges read at scrape time (nothing is updated per request for them). */
export interface UpstreamGaugeSource {
  inFlight(source: SourceName): number
  queued(source: SourceName): number
  /** 0 closed, 1 half-open, 2 open. */
  circuit(source: SourceName): number
}

const PREFIX = 'book_aggregator_'
// Upstream calls live between a few ms and the timeout; requests up to the deadline.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5]
// ISBNs per batch call: Open Library's suggested 25 and Hardcover's or a native upstream's larger maxima.
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 15, 20, 25, 50, 100]

/**
 * Every metric of one app instance, in its own registry (tests build many apps). Labels are
 * bounded sets — route templates, sources, outcomes — never an ISBN or a client address.
 */
export class PrometheusMetrics implements UpstreamObserver {
  readonly registry = new Registry()
  private readonly httpDuration: SeriesHistogram
  private readonly upstreamDuration: SeriesHistogram
  private readonly batchSize: SeriesHistogram
  private readonly cacheResults: Counter<'source' | 'result'>
  private readonly cacheCounts = new PendingCacheCounts()
  private readonly coalescedCalls: Counter<'source'>
  private readonly retries: Counter<'source'>
  private readonly hedgesSent: Counter<'source'>
  private readonly hedgesWon: Counter<'source'>
  private readonly hedgesSkippedBusy: Counter<'source'>
  private readonly rejected: Counter<'reason'>

  constructor(gauges: UpstreamGaugeSource) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.httpDuration = new SeriesHistogram(`${PREFIX}http_request_duration_seconds`, 'HTTP requests by route template, method and status',
      ['route', 'method', 'status_code'], LATENCY_BUCKETS, this.registry)
    this.upstreamDuration = new SeriesHistogram(`${PREFIX}upstream_request_duration_seconds`,
      'Upstream HTTP requests (hedges and retries included) by source and outcome', ['source', 'outcome'], LATENCY_BUCKETS, this.registry)
    this.batchSize = new SeriesHistogram(`${PREFIX}upstream_batch_size`,
      'ISBNs carried per batch request (one upstream call for several books), by source and endpoint', ['source', 'endpoint'], BATCH_SIZE_BUCKETS, this.registry)
    const cacheCounts = this.cacheCounts
    this.cacheResults = new Counter({
      name: `${PREFIX}cache_requests_total`, help: 'Cache lookups by source and result (hit, stale, miss)', labelNames: ['source', 'result'], registers,
      // Counted in plain integers per lookup (three per answer) and handed over at scrape time:
      // prom-client builds a label key on every inc.
      collect() {
        for (const source of SOURCE_NAMES) {
          for (const result of CACHE_STATES) {
            const count = cacheCounts.take(source, result)
            if (count > 0) this.inc({ source, result }, count)
          }
        }
      }
    })
    this.coalescedCalls = new Counter({ name: `${PREFIX}upstream_coalesced_total`, help: 'Calls that joined an upstream request already in flight', labelNames: ['source'], registers })
    this.retries = new Counter({ name: `${PREFIX}upstream_retries_total`, help: 'Retries sent', labelNames: ['source'], registers })
    this.hedgesSent = new Counter({ name: `${PREFIX}upstream_hedges_sent_total`, help: 'Hedged (duplicate) requests sent', labelNames: ['source'], registers })
    this.hedgesWon = new Counter({ name: `${PREFIX}upstream_hedges_won_total`, help: 'Hedged requests that answered first', labelNames: ['source'], registers })
    this.hedgesSkippedBusy = new Counter({
      name: `${PREFIX}upstream_hedges_skipped_busy_total`, help: 'Hedges not sent because the service itself was busy (event loop late or saturated)', labelNames: ['source'], registers
    })
    this.rejected = new Counter({ name: `${PREFIX}http_rejected_total`, help: 'Requests refused before any work: rate_limited or shed', labelNames: ['reason'], registers })
    for (const source of SOURCE_NAMES) {
      for (const result of CACHE_STATES) this.cacheResults.inc({ source, result }, 0)
      for (const counter of [this.coalescedCalls, this.retries, this.hedgesSent, this.hedgesWon, this.hedgesSkippedBusy]) counter.inc({ source }, 0)
    }
    for (const reason of ['rate_limited', 'shed']) this.rejected.inc({ reason }, 0)

    const perSource = (name: string, help: string, read: (source: SourceName) => number): void => {
      new Gauge({
        name: `${PREFIX}${name}`, help, labelNames: ['source'], registers,
        collect() {
          for (const source of SOURCE_NAMES) this.set({ source }, read(source))
        }
      })
    }
    perSource('upstream_in_flight', 'Upstream requests in flight (bulkhead slots in use)', (s) => gauges.inFlight(s))
    perSource('upstream_queue_length', 'Upstream requests waiting for a bulkhead slot', (s) => gauges.queued(s))
    perSource('upstream_circuit_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open', (s) => gauges.circuit(s))
  }

  httpRequest(route: string, method: string, statusCode: number, seconds: number): void {
    this.httpDuration.seriesOf(route, method, String(statusCode)).observe(seconds)
  }

  rejectedRequest(reason: 'rate_limited' | 'shed'): void {
    this.rejected.inc({ reason })
  }

  upstreamRequest(source: string, outcome: string, seconds: number): void {
    this.upstreamDuration.seriesOf(source, outcome).observe(seconds)
  }

  retried(source: string): void {
    this.retries.inc({ source })
  }

  hedgeSent(source: string): void {
    this.hedgesSent.inc({ source })
  }

  hedgeWon(source: string): void {
    this.hedgesWon.inc({ source })
  }

  hedgeSkippedBusy(source: string): void {
    this.hedgesSkippedBusy.inc({ source })
  }

  coalesced(source: string): void {
    this.coalescedCalls.inc({ source })
  }

  batchSent(source: string, endpoint: string, size: number): void {
    this.batchSize.seriesOf(source, endpoint).observe(size)
  }

  cache(source: SourceName, state: CacheState): void {
    this.cacheCounts.add(source, state)
  }
}

const CACHE_STATES: readonly CacheState[] = ['hit', 'stale', 'miss']

/** Cache lookups since the last scrape, by source and result; taking a count resets it. */
class PendingCacheCounts {
  private readonly counts = Object.fromEntries(SOURCE_NAMES.map((source) =>
    [source, { hit: 0, stale: 0, miss: 0 }])) as Record<SourceName, Record<CacheState, number>>

  add(source: SourceName, state: CacheState): void {
    this.counts[source][state]++
  }

  take(source: SourceName, state: CacheState): number {
    const count = this.counts[source][state]
    this.counts[source][state] = 0
    return count
  }
}
