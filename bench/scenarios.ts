import { booksRatio } from './books-answered.js'
import { check, failures, measurementOf } from './checks.js'
import { sameLatency, SOURCES } from './latency.js'
import type { Measurement, Scenario } from './scenario-types.js'

// Every scenario `npm run bench` knows, in the order it runs them. Adding one is one object:
// upstream latency, connections, targets, ISBN mode, optional service env and checks.
// The checks are the targets of issue 3 (fanout, fanout-cpu, scaling, soak); `tail` and
// `coalesce` are measured for the later issues and judged there; `batch-provider` judges issue 19.

const ALL_TARGETS = ['ours', 'ceiling', 'naive', 'mercurius', 'minimal'] as const

// The bulkhead's defaults (64 in flight + 256 queued per upstream) protect a small
// deployment; a load test with up to 1000 connections per process is sized like production
// would be for it, so the bulkhead measures cost, not a deliberately low cap.
const SIZED_FOR_LOAD = { UPSTREAM_MAX_CONCURRENCY: '1024', UPSTREAM_MAX_QUEUE: '4096' } as const
// Every fanout request is a fresh ISBN, so a cache could only cost: fanout and fanout-cpu
// measure the hot path without it (issue 17), fanout-cpu-cache with its default on.
export const UNCACHED = { ...SIZED_FOR_LOAD, CACHE_ENABLED: 'false' } as const
// Issue 17 compares us with what a team would write instead, in the steadiest way this VM
// allows: both up at once, the load switching every few seconds (interleave.ts), medians of
// the rounds. The sequential runs above them drift by ±10% between full runs.
const AGAINST_THE_BFFS = [{ name: 'mercurius', base: 'mercurius' }, { name: 'minimal', base: 'minimal' }] as const
// The rounds of one comparison of the same code spread over ±30% (each process keeps its own
// JIT and heap luck), and three 5-round medians of the cache's cost came out 1.02, 1.07 and
// 1.10: too loose for a verdict at ±5%. Nine rounds put the median's own spread at about
// three quarters of five's, for about three more minutes per comparison.
const VERDICT_ROUNDS = 9

// batch-provider (issue 19): providers that allow 3 calls per second per upstream, a service
// that keeps inside that (NATIVE_MAX_RPS, counted per 1.1 s) and a fresh book per request, so
// neither the cache nor coalescing can help and only batching several books into one call can.
const PROVIDER_MAX_RPS = 3
const BATCH_MAX = 25
// Sized for a rate-limited upstream: three calls per 1.1 s means a call may wait ~1.1 s for its
// slot even when few are queued, and a section that gives up before that only adds a refusal.
// 3.5 s per section reaches about 9 slots: at 25 ISBNs per call that is more books than the 100
// connections can have waiting, so with batching no book should lack a slot; without, the few
// that fit are answered and the rest settle rate_limited at once. The request deadline leaves
// 500 ms past the section timeout for the 20 ms call and the answer, so the section's timeout,
// not the deadline, cuts a slow section. (The defaults, 1500 and 3000, reach barely one window.)
const BATCH_DEADLINE_MS = 4000
const BATCH_SECTION_TIMEOUT_MS = 3500
// How far past the deadline an answer may reach the client: the write, the read and a busy loop
// on two shared cores, not a service that overran.
const CLIENT_MARGIN_MS = 250

/** Upstream calls per request for one source (1.00 = no extra calls). */
function callsPerRequest(r: Parameters<NonNullable<Scenario['checks']>>[0], source: 'publisher' | 'reviews' | 'recommendations'): number | undefined {
  const ours = measurementOf(r, 'ours')
  return ours === undefined || ours.load.requests === 0 ? undefined : ours.upstreamCalls[source] / ours.load.requests
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'fanout',
    summary: '3 upstreams at 20 ms, 100 connections, a fresh random ISBN per request',
    latency: sameLatency(20),
    connections: 100,
    isbn: 'random',
    targets: ALL_TARGETS,
    serviceEnv: UNCACHED,
    interleaved: AGAINST_THE_BFFS,
    interleavedRounds: VERDICT_ROUNDS,
    checks: (r) => {
      const limit = r.cases[0]?.latencyBoundRps ?? null
      const ours = measurementOf(r, 'ours')
      const mercurius = r.cases[0]?.interleaved?.mercurius
      return [
        check('ours ÷ latency-bound limit', limit === null ? null : (ours?.load.okRps ?? 0) / limit, 0.9),
        check('ours p99', ours?.load.latencyMs.p99, 40, ' ms', true),
        check('naive p50 ÷ ours p50', r.cases[0]?.ratios.naive?.p50Speedup, 2),
        check('ours ÷ mercurius req/s, interleaved (issue 17)', mercurius?.rps, 1.05),
        // p99 ≤ 1.1× Mercurius's: their p99 ÷ ours ≥ 1 / 1.1.
        check('mercurius p99 ÷ ours p99, interleaved (issue 17)', mercurius?.p99Speedup, 0.91)
      ]
    }
  },
  {
    name: 'fanout-cpu',
    summary: 'fanout with upstreams at 0 ms: throughput is pure efficiency',
    latency: sameLatency(0),
    connections: 100,
    isbn: 'random',
    targets: ALL_TARGETS,
    serviceEnv: UNCACHED,
    interleaved: AGAINST_THE_BFFS,
    interleavedRounds: VERDICT_ROUNDS,
    checks: (r) => [
      check('ours ÷ mercurius req/s', r.cases[0]?.ratios.mercurius?.rps, 1.25),
      check('ours ÷ mercurius req/s, interleaved (issue 17)', r.cases[0]?.interleaved?.mercurius?.rps, 1.05),
      check('ours ÷ mercurius CPU per response, interleaved (issue 17)', r.cases[0]?.interleaved?.mercurius?.cpu, 0.95, '×', true)
    ]
  },
  {
    name: 'fanout-cpu-cache',
    summary: 'fanout-cpu with the cache on (its default): every lookup a miss, so the cache only costs',
    latency: sameLatency(0),
    connections: 100,
    isbn: 'random',
    targets: ['ours'],
    serviceEnv: SIZED_FOR_LOAD,
    interleaved: [{ name: 'cache-off', base: 'ours', baseEnv: { CACHE_ENABLED: 'false' } }],
    // What users pay is a full cache under constant load: ~20 s of this load fill the default 64 MiB.
    interleavedWarmupS: 20,
    interleavedRounds: VERDICT_ROUNDS,
    checks: (r) => [
      check('cache on ÷ off, CPU per response, interleaved (issue 17)', r.cases[0]?.interleaved?.['cache-off']?.cpu, 1.05, '×', true)
    ]
  },
  {
    name: 'fanout-cpu-2-workers',
    summary: 'fanout-cpu with WEB_CONCURRENCY=2: two worker processes on the two cores',
    latency: sameLatency(0),
    connections: 100,
    isbn: 'random',
    targets: ['ours'],
    serviceEnv: { ...SIZED_FOR_LOAD, WEB_CONCURRENCY: '2' }
  },
  {
    name: 'scaling',
    summary: 'connections 10/100/1000 × upstream latency 5/20/100 ms, our service only',
    latency: sameLatency(20),
    connections: 100,
    durationS: 8,
    isbn: 'random',
    targets: ['ours'],
    serviceEnv: SIZED_FOR_LOAD,
    grid: { connections: [10, 100, 1000], latencyMs: [5, 20, 100] },
    checks: (r) => {
      const p99 = (connections: number, latencyMs: number): number | undefined => {
        const found = r.cases.find((c) => c.connections === connections && c.latency.publisher === latencyMs)
        return found === undefined ? undefined : measurementOf(found, 'ours')?.load.latencyMs.p99
      }
      const growth = [5, 20, 100].map((ms) => {
        const at100 = p99(100, ms)
        const at1000 = p99(1000, ms)
        return check(`p99 @1000 ÷ p99 @100 conns, ${ms} ms`, at100 && at1000 ? at1000 / at100 : undefined, 3, '×', true)
      })
      const errors = r.cases.flatMap((c) => c.measurements).reduce((sum, m) => sum + failures(m), 0)
      return [...growth, check('errors + timeouts + non-2xx', errors, 0, '', true)]
    }
  },
  {
    name: 'soak',
    summary: '60 s at saturation (5 ms upstreams, 200 connections) after a 20 s warm-up: memory at start and end',
    latency: sameLatency(5),
    connections: 200,
    durationS: 60,
    // "After warm-up" means once V8 has sized its heap spaces for this load, which takes
    // ~16 s (see npm run soak); after 2 s, RSS is still growing towards its plateau.
    warmupS: 20,
    isbn: 'random',
    targets: ['ours'],
    // A small cache fills during warm-up, so growth after it is a leak, not the cache filling up.
    serviceEnv: { ...SIZED_FOR_LOAD, CACHE_MAX_BYTES: '2097152' },
    checks: (r) => {
      const ours = measurementOf(r, 'ours')
      return [check('RSS end ÷ RSS after warm-up', ours ? ours.service.rssEndMb / ours.service.rssStartMb : undefined, 1.2, '×', true)]
    }
  },
  {
    name: 'tail',
    // Below saturation (20 connections): at 100 the CPU queue, not the slow upstream, would
    // make the tail, and hedging answers the latter.
    summary: 'reviews 97% at 10 ms and 3% at 500 ms, the others 10 ms, 20 connections',
    latency: { publisher: 10, reviews: { fastMs: 10, slowMs: 500, slowPercent: 3 }, recommendations: 10 },
    connections: 20,
    isbn: 'random',
    targets: ['ours', 'naive', 'mercurius'],
    serviceEnv: SIZED_FOR_LOAD,
    checks: (r) => [
      check('ours p99 (hedging on)', measurementOf(r, 'ours')?.load.latencyMs.p99, 50, ' ms', true),
      check('extra reviews calls per request', ((callsPerRequest(r, 'reviews') ?? 2) - 1) * 100, 5, ' %', true)
    ]
  },
  {
    name: 'tail-no-hedge',
    summary: 'tail with HEDGE_ENABLED=false: what hedging saves',
    latency: { publisher: 10, reviews: { fastMs: 10, slowMs: 500, slowPercent: 3 }, recommendations: 10 },
    connections: 20,
    isbn: 'random',
    targets: ['ours'],
    serviceEnv: { ...SIZED_FOR_LOAD, HEDGE_ENABLED: 'false' }
  },
  {
    name: 'cache-hit',
    summary: 'one ISBN over and over (20 ms upstreams): every section from the in-memory cache',
    latency: sameLatency(20),
    connections: 100,
    isbn: 'fixed',
    // Warm means warm: the hit path, not the miss path, is what the JIT should have seen.
    warmupIsbn: 'fixed',
    targets: ['ours', 'ceiling'],
    // Sequentially, both sides push autocannon to 86–98% of a core and the ratio moved from 0.57
    // to 0.81 between runs; interleaved and pinned (autocannon on a core of its own, with the
    // idle mock), it is judged the way the fanout comparisons are.
    interleaved: [{ name: 'ceiling', base: 'ceiling' }],
    interleavedRounds: VERDICT_ROUNDS,
    checks: (r) => [
      check('ours ÷ ceiling req/s', r.cases[0]?.ratios.ceiling?.rps, 0.7),
      check('ours ÷ ceiling req/s, interleaved (issue 17)', r.cases[0]?.interleaved?.ceiling?.rps, 0.7)
    ]
  },
  {
    name: 'coalesce',
    summary: '1000 concurrent requests for ONE ISBN (upstreams at 100 ms): upstream calls per source',
    latency: sameLatency(100),
    connections: 1000,
    amount: 1000,
    isbn: 'fixed',
    targets: ['ours'],
    serviceEnv: SIZED_FOR_LOAD,
    checks: (r) => [
      check('publisher calls for 1000 cold requests', (callsPerRequest(r, 'publisher') ?? 1) * 1000, 1, '', true)
    ]
  },
  {
    name: 'batch-provider',
    summary: `upstreams at 20 ms allowing ${PROVIDER_MAX_RPS} calls/s each, 100 connections, a fresh ISBN per request, cache off: ` +
      `books answered whole with micro-batching (${BATCH_MAX} ISBNs per call) and without`,
    latency: sameLatency(20),
    connections: 100,
    isbn: 'random',
    targets: ['ours'],
    mockMaxRps: PROVIDER_MAX_RPS,
    countBooks: true,
    serviceEnv: {
      ...UNCACHED,
      NATIVE_MAX_RPS: String(PROVIDER_MAX_RPS),
      REQUEST_DEADLINE_MS: String(BATCH_DEADLINE_MS),
      UPSTREAM_TIMEOUT_MS: String(BATCH_SECTION_TIMEOUT_MS)
    },
    variants: [
      { label: 'batching on', serviceEnv: { NATIVE_BATCH_MAX: String(BATCH_MAX) } },
      { label: 'batching off', serviceEnv: { NATIVE_BATCH_MAX: '0' } }
    ],
    checks: (r) => {
      const [on, off] = [0, 1].map((i) => measurementOf(r, 'ours', i))
      const both = on === undefined || off === undefined ? undefined : [on, off]
      const total = (figure: (m: Measurement) => number): number | undefined => both?.reduce((sum, m) => sum + figure(m), 0)
      return [
        check('books/s whole, batching on ÷ off (issue 19)', booksRatio(on, off), 15, '×'),
        // A 502 (every section rate_limited) is an answer in time; a request never answered is not.
        check('slowest answer, on and off', both && Math.max(...both.map((m) => m.books?.maxMs ?? Infinity)), BATCH_DEADLINE_MS + CLIENT_MARGIN_MS, ' ms', true),
        check('requests without an answer (errors + timeouts), on and off', total((m) => m.load.errors + m.load.timeouts), 0, '', true),
        check('upstream 429s, on and off (NATIVE_MAX_RPS keeps inside the quota)', total((m) => SOURCES.reduce((sum, s) => sum + m.upstreamRejected429[s], 0)), 0, '', true)
      ]
    }
  }
]

export function scenarioByName(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (found === undefined) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return found
}
