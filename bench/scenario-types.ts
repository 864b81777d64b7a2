import type { BooksAnswered } from './books-answered.js'
import type { LatencyBySource, Source } from './latency.js'
import type { IsbnMode, LoadResult } from './load.js'
import type { TargetName } from './target-specs.js'

// The shapes a scenario is declared in and its results come back in (also the JSON schema of
// bench/results/latest.json, so renaming a field here is a breaking change for old results).

export interface Scenario {
  readonly name: string
  readonly summary: string
  /** Upstream latency per source (see latency.ts for distributions). */
  readonly latency: LatencyBySource
  readonly connections: number
  /** Seconds of load per measurement; `--duration` overrides it. Default 10. */
  readonly durationS?: number
  /** Seconds of warm-up before each measurement, when this scenario needs more than the run's (--warmup, default 2). */
  readonly warmupS?: number
  /** A fixed number of requests instead of a duration (e.g. all at once for coalescing). */
  readonly amount?: number
  readonly isbn: IsbnMode
  /**
   * ISBNs of the warm-up load. Default `random`: the JIT and the pools warm up and no cache is
   * primed (coalesce needs a cold one). `fixed` for a scenario that measures a warm cache, so
   * the code it measures is the code that warmed up.
   */
  readonly warmupIsbn?: IsbnMode
  readonly targets: readonly TargetName[]
  /** Extra environment for our service only (cache, resilience settings…). */
  readonly serviceEnv?: Readonly<Record<string, string>>
  /** Instead of one case: every connections × latency combination (same latency for all sources). */
  readonly grid?: { readonly connections: readonly number[]; readonly latencyMs: readonly number[] }
  /**
   * Instead of one case: the same load once per variant of our service's environment (over
   * `serviceEnv`), each against a fresh mock, e.g. a feature on and off; not with `grid`.
   */
  readonly variants?: readonly ServiceVariant[]
  /** Each mock upstream port answers 429 beyond this many requests per second, as a provider's quota (MOCK_MAX_RPS). */
  readonly mockMaxRps?: number
  /**
   * Read every response body and count books answered whole (a 200 with all three sections ok)
   * and answers back within the service's REQUEST_DEADLINE_MS, where partial 200s are the norm
   * (the report shows them in the table of `variants`).
   */
  readonly countBooks?: boolean
  /**
   * Ours against a baseline (or against ours with other settings), both up at once and the
   * load switching between them every few seconds (see interleave.ts): the steadiest ratio a
   * drifting VM allows, measured after the scenario's own runs; in `interleaved` of its case.
   */
  readonly interleaved?: readonly InterleavedComparison[]
  /** Seconds of warm-up per side before those comparisons, when this scenario needs more than theirs (5 s). */
  readonly interleavedWarmupS?: number
  /** Rounds of those comparisons, when its verdict needs more than the default (5) to rise above the rounds' spread. */
  readonly interleavedRounds?: number
  /** The targets, judged on the results. */
  readonly checks?: (result: ScenarioResult) => CheckResult[]
}

export interface InterleavedComparison {
  /** Its key in the case's `interleaved`: `mercurius`, `cache-off`… */
  readonly name: string
  /** What ours is compared with: a baseline target, or ours with `baseEnv` over the scenario's environment. */
  readonly base: TargetName
  readonly baseEnv?: Readonly<Record<string, string>>
}

/** An interleaved comparison's figures; every ratio is ours ÷ the base side, the median of the rounds. */
export interface InterleavedFigures {
  readonly base: TargetName
  readonly baseEnv: Readonly<Record<string, string>>
  readonly rounds: number
  readonly sliceS: number
  /** CPU µs per response over all slices. */
  readonly oursMicros: number
  readonly baseMicros: number
  readonly cpu: number
  readonly rps: number
  /** Their p99 ÷ ours (> 1: ours is faster). */
  readonly p99Speedup: number
  /** Each round's CPU ratio, to show the spread. */
  readonly roundCpu: readonly number[]
}

export interface ServiceVariant {
  readonly label: string
  readonly serviceEnv: Readonly<Record<string, string>>
}

export interface ProcessFigures {
  /** % of one core over the measured run. */
  readonly cpuPercent: number
  readonly rssStartMb: number
  readonly rssEndMb: number
  readonly rssPeakMb: number
  /** After a full GC; null when the probe did not answer. */
  readonly heapUsedStartMb: number | null
  readonly heapUsedEndMb: number | null
}

export interface Measurement {
  readonly target: TargetName
  readonly load: LoadResult
  readonly service: ProcessFigures
  readonly upstreamCalls: Record<Source, number>
  /** ISBNs the mock answered per source (a batch call answers several). */
  readonly upstreamBooksServed: Record<Source, number>
  /** Calls the mock refused with 429 (its `mockMaxRps` quota), per source. */
  readonly upstreamRejected429: Record<Source, number>
  readonly upstreamMaxInFlight: Record<Source, number>
  /** TCP connections the target opened to each upstream during the run (socket churn). */
  readonly upstreamConnections: Record<Source, number>
  /** Who else used the 2 cores meanwhile: the mock upstreams and the load generator (autocannon). */
  readonly mockCpuPercent: number
  readonly loadGeneratorCpuPercent: number
  /** Everything else the machine ran meanwhile (noise: other jobs, the kernel's network work). */
  readonly otherCpuPercent: number | null
  /** With the scenario's `countBooks`: books answered whole and answers within the deadline. */
  readonly books?: BooksAnswered
  /** With --repeat N: the 2xx/s of every run; this measurement is the median one. */
  readonly runsOkRps?: readonly number[]
}

export interface Ratios {
  /** ours 2xx/s ÷ theirs. */
  readonly rps: number | null
  /** their p50 ÷ ours (> 1: ours is faster). */
  readonly p50Speedup: number | null
  readonly p99Speedup: number | null
  /** ours CPU per response ÷ theirs (< 1: ours is cheaper). */
  readonly cpu?: number | null
}

export interface CaseResult {
  readonly label: string
  readonly connections: number
  readonly latency: LatencyBySource
  readonly latencyLabel: string
  /** Our service's environment in this case (the scenario's, the variant's and --env; not BENCH_SERVICE_ENV). */
  readonly serviceEnv: Readonly<Record<string, string>>
  /** The variant of the scenario this case measured, when it has variants. */
  readonly variant?: string
  /** Baseline (c): connections ÷ slowest mean upstream latency; null at 0 ms. */
  readonly latencyBoundRps: number | null
  readonly measurements: readonly Measurement[]
  /** Ours against each measured baseline, and against the latency-bound limit (`limit`). */
  readonly ratios: Readonly<Partial<Record<TargetName | 'limit', Ratios>>>
  /** The scenario's interleaved comparisons, by name (absent when none ran). */
  readonly interleaved?: Readonly<Record<string, InterleavedFigures>>
}

export interface CheckResult {
  readonly name: string
  readonly target: string
  readonly actual: string
  readonly pass: boolean
}

export interface ScenarioResult {
  readonly name: string
  readonly summary: string
  readonly isbn: IsbnMode
  readonly durationS: number
  readonly amount: number | null
  /** The mock's quota per upstream port, requests per second; null = none. */
  readonly mockMaxRps: number | null
  readonly cases: readonly CaseResult[]
  readonly checks: readonly CheckResult[]
}
