import { describe, expect, it } from 'vitest'
import { BooksTally } from '../../bench/books-answered.js'
import type { BenchReport } from '../../bench/harness.js'
import { sameLatency } from '../../bench/latency.js'
import { renderMarkdown } from '../../bench/report.js'
import type { CaseResult, Measurement, ScenarioResult } from '../../bench/scenario-types.js'
import { scenarioByName } from '../../bench/scenarios.js'

// batch-provider's figures as the report shows them and its checks judge them, from made-up
// measurements: one case per variant, books answered whole beside 2xx/s.

const perSource = (n: number): Record<'publisher' | 'reviews' | 'recommendations', number> => ({ publisher: n, reviews: n, recommendations: n })
const ok = { status: 'ok' }

function measurement(books: { whole: number; rateLimited: number; maxMs: number }, calls: number, isbnsPerCall: number): Measurement {
  const tally = new BooksTally(4000)
  // The slowest answer is the last whole book.
  for (let i = 0; i < books.whole; i++) {
    tally.record(200, JSON.stringify({ sources: { publisher: ok, reviews: ok, recommendations: ok } }), i === books.whole - 1 ? books.maxMs : 900)
  }
  for (let i = 0; i < books.rateLimited; i++) {
    tally.record(200, JSON.stringify({ sources: { publisher: ok, reviews: { status: 'rate_limited' }, recommendations: ok } }), 3)
  }
  const requests = books.whole + books.rateLimited
  return {
    target: 'ours',
    load: {
      durationS: 10, requests, rps: requests / 10, okRps: requests / 10,
      latencyMs: { p50: 800, p90: 1500, p99: 2500, max: books.maxMs, mean: 900 },
      errors: 0, timeouts: 0, non2xx: 0, statusCodes: { 200: requests }
    },
    service: { cpuPercent: 40, rssStartMb: 80, rssEndMb: 90, rssPeakMb: 95, heapUsedStartMb: 20, heapUsedEndMb: 25 },
    upstreamCalls: perSource(calls),
    upstreamBooksServed: perSource(calls * isbnsPerCall),
    upstreamRejected429: perSource(0),
    upstreamMaxInFlight: perSource(1),
    upstreamConnections: perSource(1),
    mockCpuPercent: 2,
    loadGeneratorCpuPercent: 10,
    otherCpuPercent: 1,
    books: tally.result(10)
  }
}

function variantCase(variant: string, env: Record<string, string>, m: Measurement): CaseResult {
  return {
    label: variant, variant, connections: 100, latency: sameLatency(20), latencyLabel: '20 ms', latencyBoundRps: 5000,
    serviceEnv: { CACHE_ENABLED: 'false', NATIVE_MAX_RPS: '3', ...env }, measurements: [m], ratios: {}
  }
}

function judged(on: Measurement, off: Measurement): ScenarioResult {
  const scenario = scenarioByName('batch-provider')
  const result: ScenarioResult = {
    name: scenario.name, summary: scenario.summary, isbn: 'random', durationS: 10, amount: null, mockMaxRps: 3,
    cases: [variantCase('batching on', { NATIVE_BATCH_MAX: '25' }, on), variantCase('batching off', { NATIVE_BATCH_MAX: '0' }, off)],
    checks: []
  }
  return { ...result, checks: scenario.checks?.(result) ?? [] }
}

describe('batch-provider report and checks', () => {
  const on = measurement({ whole: 600, rateLimited: 0, maxMs: 2100 }, 27, 22.2)
  const off = measurement({ whole: 27, rateLimited: 9000, maxMs: 3600 }, 27, 1)

  it('shows books/s whole per variant, the settings they differ in, and the ratio', () => {
    const report: BenchReport = {
      machine: { date: '2026-12-01', cpuModel: 'test CPU', cores: 2, memoryGb: 8, node: process.version, os: 'test' },
      startedAt: '2026-12-01T00:00:00Z', elapsedS: 30, serviceMode: 'dist', warmupS: 2, profiled: false,
      scenarios: [judged(on, off)]
    }
    const markdown = renderMarkdown(report)
    expect(markdown).toContain('each mock upstream answers 429 beyond 3 requests/s')
    expect(markdown).toMatch(/\| batching on \| NATIVE_BATCH_MAX=25 \| 60\.0 \| 600 \/ 0 \/ 0 \| 100\.0% of 4000 ms \|/)
    expect(markdown).toMatch(/\| batching off \| NATIVE_BATCH_MAX=0 \| 2\.7 \| 27 \/ 9000 \/ 0 \|/)
    expect(markdown).toMatch(/\| 27 \/ 27 \/ 27 \| 22\.2 \/ 22\.2 \/ 22\.2 \| 0 \/ 0 \/ 0 \|/)
    expect(markdown).toContain('Service environment of every variant: CACHE_ENABLED=false NATIVE_MAX_RPS=3.')
    expect(markdown).toContain('batching on ÷ batching off: **22.22×** books/s whole')
    expect(markdown).toContain('batching off: sections not ok in the answers that were not whole books — reviews rate_limited 9000.')
  })

  it('passes at 15× the books/s with every answer inside the deadline, and fails below or past it', () => {
    expect(judged(on, off).checks.map((c) => c.pass)).toEqual([true, true, true, true])
    const slowOn = measurement({ whole: 600, rateLimited: 0, maxMs: 4400 }, 27, 22.2)
    const fewerOn = measurement({ whole: 300, rateLimited: 0, maxMs: 2100 }, 27, 11)
    expect(judged(slowOn, off).checks.map((c) => c.pass)).toEqual([true, false, true, true])
    expect(judged({ ...on, upstreamRejected429: perSource(2) }, off).checks[3]).toMatchObject({ pass: false, actual: '6' })
    expect(judged(fewerOn, off).checks[0]).toMatchObject({ pass: false, actual: '11.11×' })
  })
})
