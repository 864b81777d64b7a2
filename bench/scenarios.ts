import { check, failures, measurementOf } from './checks.js'
import { sameLatency } from './latency.js'
import type { Scenario } from './scenario-types.js'

// Every scenario `npm run bench` knows, in the order it runs them. Adding one is one object:
// upstream latency, connections, targets, ISBN mode, optional service env and checks.
// The checks are the targets of issue 3 (fanout, fanout-cpu, scaling, soak); `tail` and
// `coalesce` are measured for the later issues and judged there.

const ALL_TARGETS = ['ours', 'ceiling', 'naive', 'mercurius', 'minimal'] as const

// The bulkhead's defaults (64 in flight + 256 queued per upstream) protect a small
// deployment; a load test with up to 1000 connections per process is sized like production
// would be for it, so the bulkhead measures cost, not a deliberately low cap.
const SIZED_FOR_LOAD = { UPSTREAM_MAX_CONCURRENCY: '1024', UPSTREAM_MAX_QUEUE: '4096' } as const
// Every fanout request is a fresh ISBN, so a cache could only cost: fanout and fanout-cpu
// measure the hot path without it (issue 17), fanout-cpu-cache with its default on.
const UNCACHED = { ...SIZED_FOR_LOAD, CACHE_ENABLED: 'false' } as const

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
    checks: (r) => {
      const limit = r.cases[0]?.latencyBoundRps ?? null
      const ours = measurementOf(r, 'ours')
      const mercurius = r.cases[0]?.ratios.mercurius
      return [
        check('ours ÷ latency-bound limit', limit === null ? null : (ours?.load.okRps ?? 0) / limit, 0.9),
        check('ours p99', ours?.load.latencyMs.p99, 40, ' ms', true),
        check('naive p50 ÷ ours p50', r.cases[0]?.ratios.naive?.p50Speedup, 2),
        check('ours ÷ mercurius req/s (issue 17)', mercurius?.rps, 1.05),
        // p99 ≤ 1.1× Mercurius's: their p99 ÷ ours ≥ 1 / 1.1.
        check('mercurius p99 ÷ ours p99 (issue 17)', mercurius?.p99Speedup, 0.91)
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
    checks: (r) => [
      check('ours ÷ mercurius req/s', r.cases[0]?.ratios.mercurius?.rps, 1.25),
      check('ours ÷ mercurius req/s (issue 17)', r.cases[0]?.ratios.mercurius?.rps, 1.05),
      check('ours ÷ mercurius CPU per response (issue 17)', r.cases[0]?.ratios.mercurius?.cpu, 0.95, '×', true)
    ]
  },
  {
    name: 'fanout-cpu-cache',
    summary: 'fanout-cpu with the cache on (its default): every lookup a miss, so the cache only costs',
    latency: sameLatency(0),
    connections: 100,
    isbn: 'random',
    targets: ['ours'],
    serviceEnv: SIZED_FOR_LOAD
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
    checks: (r) => [check('ours ÷ ceiling req/s', r.cases[0]?.ratios.ceiling?.rps, 0.7)]
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
  }
]

export function scenarioByName(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (found === undefined) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return found
}
