import { describeLatencies, latencyBoundRps, sameLatency, type LatencyBySource } from './latency.js'
import { DEFAULT_INTERLEAVE, runComparisons, type InterleaveSettings } from './interleaved-comparisons.js'
import { machineInfo, type MachineInfo } from './machine.js'
import { measureTarget } from './measure.js'
import { startMock } from './mock-control.js'
import { stopAll } from './processes.js'
import { cpuMsPerResponse } from './report.js'
import type { CaseResult, Measurement, Ratios, Scenario, ScenarioResult, ServiceVariant } from './scenario-types.js'
import type { ServiceMode, TargetName } from './target-specs.js'

// runBench: scenarios in, figures out. It owns every process it starts (the mock per case,
// one target process per measurement) and stops them all however it ends. The CLI (run.ts)
// and the smoke test both call it.

export interface BenchOptions {
  readonly scenarios: readonly Scenario[]
  readonly serviceMode: ServiceMode
  /** Another checkout whose build is measured as ours (default: this one). */
  readonly serviceRoot?: string
  /** Another Node.js executable for our service (default: the harness's own, the pinned runtime). */
  readonly serviceNodePath?: string
  /** Overrides every scenario's duration (seconds). */
  readonly durationS?: number
  /** Seconds of load before each measurement, discarded. Default 2. */
  readonly warmupS?: number
  /** Extra environment for our service, over each scenario's own. */
  readonly serviceEnv?: Readonly<Record<string, string>>
  /** Measure each target this many times, in rounds, and keep the median run (by 2xx/s). Default 1. */
  readonly repeat?: number
  /** These targets instead of each scenario's own list. */
  readonly targets?: readonly TargetName[]
  /** Profile our service with `--cpu-prof` into this directory. */
  readonly profileDir?: string
  /** The scenarios' interleaved comparisons (default 5 rounds of 4 × 3 s after 5 s of warm-up; 0 rounds: none). */
  readonly interleave?: InterleaveSettings
  readonly log?: (line: string) => void
}

export interface BenchReport {
  readonly machine: MachineInfo
  readonly startedAt: string
  readonly elapsedS: number
  readonly serviceMode: ServiceMode
  readonly warmupS: number
  readonly profiled: boolean
  readonly scenarios: readonly ScenarioResult[]
}

const DEFAULT_DURATION_S = 10

// What the service answers within when REQUEST_DEADLINE_MS is not set (src/config.ts).
const SERVICE_DEFAULT_DEADLINE_MS = 3000

interface CasePlan {
  readonly label: string
  readonly connections: number
  readonly latency: LatencyBySource
  readonly variant?: ServiceVariant
}

function casesOf(scenario: Scenario): CasePlan[] {
  const { grid, variants } = scenario
  if (grid !== undefined && variants !== undefined) throw new Error(`${scenario.name}: a grid or variants, not both`)
  if (variants !== undefined) {
    return variants.map((variant) => ({ label: variant.label, connections: scenario.connections, latency: scenario.latency, variant }))
  }
  if (grid === undefined) {
    return [{ label: scenario.name, connections: scenario.connections, latency: scenario.latency }]
  }
  return grid.latencyMs.flatMap((ms) => grid.connections.map((connections) => ({
    label: `${connections} conns, ${ms} ms`,
    connections,
    latency: sameLatency(ms)
  })))
}

/** The per-measurement log line: the figures to watch while a run goes on. */
function progressLine(m: Measurement): string {
  const books = m.books === undefined ? '' : `, ${m.books.perSecond.toFixed(1)} books/s whole, max ${m.books.maxMs} ms`
  return `    ${Math.round(m.load.rps)} req/s, p50 ${m.load.latencyMs.p50} ms, p99 ${m.load.latencyMs.p99} ms, errors ${m.load.errors + m.load.timeouts}, non-2xx ${m.load.non2xx}${books}`
}

/** The targets in order, starting `by` places further on: round r's order in a repeated run. */
export function rotated<T>(items: readonly T[], by: number): T[] {
  const start = items.length === 0 ? 0 : by % items.length
  return [...items.slice(start), ...items.slice(0, start)]
}

/** The run with the median 2xx/s, carrying every run's 2xx/s so the spread stays visible. */
function medianRun(runs: readonly Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.load.okRps - b.load.okRps)
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as Measurement
  return runs.length === 1 ? median : { ...median, runsOkRps: runs.map((r) => Math.round(r.load.okRps)) }
}

function ratiosOf(measurements: readonly Measurement[], limit: number | null): CaseResult['ratios'] {
  const ours = measurements.find((m) => m.target === 'ours')
  if (ours === undefined) return {}
  const divide = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null)
  const ratios: Partial<Record<TargetName | 'limit', Ratios>> = {}
  for (const other of measurements) {
    if (other.target === 'ours') continue
    ratios[other.target] = {
      rps: divide(ours.load.okRps, other.load.okRps),
      p50Speedup: divide(other.load.latencyMs.p50, ours.load.latencyMs.p50),
      p99Speedup: divide(other.load.latencyMs.p99, ours.load.latencyMs.p99),
      cpu: divide(cpuMsPerResponse(ours) ?? 0, cpuMsPerResponse(other) ?? 0)
    }
  }
  if (limit !== null) ratios.limit = { rps: divide(ours.load.okRps, limit), p50Speedup: null, p99Speedup: null }
  return ratios
}

async function runScenario(scenario: Scenario, options: BenchOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const durationS = options.durationS ?? scenario.durationS ?? DEFAULT_DURATION_S
  // Named targets are measured even where a scenario measures only ours by default (e.g. the
  // baselines' own scaling); otherwise the scenario's list.
  const targets = options.targets ?? scenario.targets
  const cases: CaseResult[] = []
  for (const plan of casesOf(scenario)) {
    // A fresh mock per case: its latency is fixed at start, its counters and its quota's window
    // belong to one case.
    const mock = await startMock(plan.latency, scenario.mockMaxRps === undefined ? {} : { maxRps: scenario.mockMaxRps })
    const serviceEnv = { ...scenario.serviceEnv, ...plan.variant?.serviceEnv, ...options.serviceEnv }
    const booksDeadlineMs = scenario.countBooks === true ? Number(serviceEnv.REQUEST_DEADLINE_MS ?? SERVICE_DEFAULT_DEADLINE_MS) : undefined
    try {
      const runs = new Map<TargetName, Measurement[]>(targets.map((t) => [t, []]))
      const repeat = options.repeat ?? 1
      // Rounds (every target once, then again) rather than one target N times in a row:
      // a noisy spell on the shared machine then hits every target, not just one. Each round
      // starts one target further on, so no target is always first after the mock's start.
      for (let round = 1; round <= repeat; round++) for (const target of rotated(targets, round - 1)) {
        log(`  ${plan.label}: ${target}${repeat > 1 ? ` (run ${round} of ${repeat})` : ''} …`)
        const m = await measureTarget({
          target,
          mock,
          connections: plan.connections,
          durationS,
          warmupS: options.warmupS ?? scenario.warmupS ?? 2,
          ...(scenario.amount === undefined ? {} : { amount: scenario.amount }),
          isbn: scenario.isbn,
          warmupIsbn: scenario.warmupIsbn ?? 'random',
          serviceEnv,
          ...(booksDeadlineMs === undefined ? {} : { booksDeadlineMs }),
          launch: {
            serviceMode: options.serviceMode,
            ...(options.serviceRoot === undefined ? {} : { serviceRoot: options.serviceRoot }),
            ...(options.serviceNodePath === undefined ? {} : { nodePath: options.serviceNodePath }),
            ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir })
          }
        })
        log(progressLine(m))
        runs.get(target)?.push(m)
      }
      const measurements = targets.map((t) => medianRun(runs.get(t) ?? []))
      const limit = latencyBoundRps(plan.connections, plan.latency)
      cases.push({
        label: plan.label,
        connections: plan.connections,
        latency: plan.latency,
        latencyLabel: describeLatencies(plan.latency),
        serviceEnv,
        ...(plan.variant === undefined ? {} : { variant: plan.variant.label }),
        latencyBoundRps: limit,
        measurements,
        ratios: ratiosOf(measurements, limit)
      })
    } finally {
      await mock.stop()
    }
  }
  // Not while profiling: the profile is of our service under the scenario's own load.
  const interleaved = cases.length !== 1 || options.profileDir !== undefined ? undefined : await runComparisons({
    scenario,
    settings: options.interleave ?? DEFAULT_INTERLEAVE,
    serviceMode: options.serviceMode,
    ...(options.serviceEnv === undefined ? {} : { serviceEnv: options.serviceEnv }),
    ...(options.serviceRoot === undefined ? {} : { serviceRoot: options.serviceRoot }),
    ...(options.serviceNodePath === undefined ? {} : { serviceNodePath: options.serviceNodePath }),
    ...(options.targets === undefined ? {} : { targets: options.targets }),
    log
  })
  if (interleaved !== undefined) cases[0] = { ...(cases[0] as CaseResult), interleaved }
  const result: ScenarioResult = {
    name: scenario.name,
    summary: scenario.summary,
    isbn: scenario.isbn,
    durationS,
    amount: scenario.amount ?? null,
    mockMaxRps: scenario.mockMaxRps ?? null,
    cases,
    checks: []
  }
  return { ...result, checks: scenario.checks?.(result) ?? [] }
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined)
  const startedAt = new Date()
  const t0 = performance.now()
  const scenarios: ScenarioResult[] = []
  try {
    for (const scenario of options.scenarios) {
      log(`${scenario.name}: ${scenario.summary}`)
      scenarios.push(await runScenario(scenario, options, log))
    }
  } finally {
    await stopAll()
  }
  return {
    machine: machineInfo(),
    startedAt: startedAt.toISOString(),
    elapsedS: Math.round((performance.now() - t0) / 100) / 10,
    serviceMode: options.serviceMode,
    warmupS: options.warmupS ?? 2,
    profiled: options.profileDir !== undefined,
    scenarios
  }
}
