import { startMock, type MockUpstream } from './mock-control.js'
import { runLoad } from './load.js'
import { startTarget, type StartedTarget } from './measure.js'
import { pinToCpu, stopChild, unpin } from './processes.js'
import { sampleProc } from './proc-stats.js'
import type { Scenario } from './scenario-types.js'
import { TARGETS, type ServiceMode, type TargetName } from './target-specs.js'

// Two services running side by side against one mock, the load switching from one to the
// other every few seconds (ABBA, then BAAB): two builds of ours (bench:ab), or ours and a baseline such
// as the Mercurius BFF (the issue-17 comparisons of `npm run bench`). On a shared VM the
// machine's speed drifts within minutes; slices this short see nearly the same machine, so
// their ratio is the difference between the two. The idle side waits on its sockets meanwhile
// and uses next to no CPU. Where it can, it pins both sides to one CPU and the mock and the
// load generator to the other.
// A process's own luck (JIT and heap decisions) also moves its cost by up to ±30% for its
// whole life, measured with the same build in both slots; so each round starts both afresh,
// and the rounds' median is the figure.

/** One side of the comparison: a target, and for ours which checkout, runtime and settings. */
export interface InterleaveSide {
  readonly target: TargetName
  /** Our service's checkout; the harness's own by default. */
  readonly serviceRoot?: string
  readonly nodePath?: string
  /** Our service's environment for this side alone, over the shared one. */
  readonly env?: Readonly<Record<string, string>>
}

export interface InterleaveOptions {
  readonly scenario: Scenario
  /** [base, head]: ratios are head ÷ base. */
  readonly sides: readonly [InterleaveSide, InterleaveSide]
  readonly serviceMode: ServiceMode
  /** Rounds, each with a fresh process of each side. */
  readonly rounds: number
  /** Seconds per slice; each round has two slices of each side, ABBA or BAAB. */
  readonly sliceS: number
  readonly warmupS: number
  /** Our service's environment on both sides, over the scenario's. */
  readonly serviceEnv?: Readonly<Record<string, string>>
  readonly log?: (line: string) => void
}

export interface Slice {
  readonly round: number
  readonly build: 'base' | 'head'
  readonly responses: number
  readonly cpuMs: number
  readonly okRps: number
  readonly p99Ms: number
}

export interface InterleaveResult {
  readonly slices: readonly Slice[]
  /** CPU µs per response over all slices of each side. */
  readonly baseMicros: number
  readonly headMicros: number
  /** head ÷ base of each round (CPU per response over its slices). */
  readonly roundRatios: readonly number[]
  /** head ÷ base 2xx/s of each round. */
  readonly roundRpsRatios: readonly number[]
  /** base p99 ÷ head p99 of each round (> 1: head answers faster), each side's slices averaged. */
  readonly roundP99Speedups: readonly number[]
}

// ABBA in even rounds, BAAB in odd ones: a process still warming up is dearest in its first
// slice, and that slice must not always be the base side's.
const SLICE_ORDERS: ReadonlyArray<ReadonlyArray<Slice['build']>> = [['base', 'head', 'head', 'base'], ['head', 'base', 'base', 'head']]

export async function interleaved(options: InterleaveOptions): Promise<InterleaveResult> {
  const { scenario } = options
  if (scenario.grid !== undefined || scenario.variants !== undefined) throw new Error(`${scenario.name} has several cases; pick a scenario with one`)
  const mock = await startMock(scenario.latency, scenario.mockMaxRps === undefined ? {} : { maxRps: scenario.mockMaxRps })
  try {
    const slices: Slice[] = []
    for (let round = 0; round < options.rounds; round++) {
      slices.push(...await runRound(options, mock, round))
    }
    return summarize(slices)
  } finally {
    await mock.stop()
    // The load generator runs in this process: measurements after this one must not stay on one CPU.
    unpin(process.pid)
  }
}

async function runRound(options: InterleaveOptions, mock: MockUpstream, round: number): Promise<Slice[]> {
  const { scenario } = options
  const started: StartedTarget[] = []
  try {
    const serviceEnv = { ...scenario.serviceEnv, ...options.serviceEnv }
    for (const side of options.sides) {
      started.push(await startTarget(side.target, mock, { ...serviceEnv, ...side.env }, {
        serviceMode: options.serviceMode,
        ...(side.serviceRoot === undefined ? {} : { serviceRoot: side.serviceRoot }),
        ...(side.nodePath === undefined ? {} : { nodePath: side.nodePath })
      }))
    }
    const pinned = started.every((s) => pinToCpu(s.child.pid, 1)) && pinToCpu(mock.child.pid, 0) && pinToCpu(process.pid, 0)
    if (round === 0) options.log?.(pinned ? 'both sides pinned to CPU 1, the mock and the load generator to CPU 0' : 'not pinned to CPUs (no taskset or one CPU)')
    const load = (i: number, durationS: number, isbn = scenario.isbn) => runLoad({
      url: (started[i] as StartedTarget).url, api: TARGETS[(options.sides[i] as InterleaveSide).target].api, connections: scenario.connections, isbn, durationS
    })
    const order = SLICE_ORDERS[round % 2] as ReadonlyArray<Slice['build']>
    for (const build of warmupOrder(order[0] as Slice['build'], options.warmupS)) {
      await load(build === 'base' ? 0 : 1, options.warmupS / warmupChunks(options.warmupS), scenario.warmupIsbn ?? 'random')
    }

    const slices: Slice[] = []
    for (const build of order) {
      const i = build === 'base' ? 0 : 1
      const pid = (started[i] as StartedTarget).child.pid
      const before = sampleProc(pid)
      const result = await load(i, options.sliceS)
      const after = sampleProc(pid)
      if (before === null || after === null) throw new Error(`the ${build} side exited during the run`)
      const slice = { round, build, responses: result.requests, cpuMs: after.cpuMs - before.cpuMs, okRps: result.okRps, p99Ms: result.latencyMs.p99 }
      slices.push(slice)
      options.log?.(`${build}  ${Math.round(result.rps)} req/s  p99 ${result.latencyMs.p99} ms  ${micros(slice)} µs of CPU per response  (round ${round + 1})`)
    }
    return slices
  } finally {
    await Promise.all(started.map((s) => stopChild(s.child)))
  }
}

// A side warmed up and then left idle while the other warms up measured dearer for it, on
// both sides of an A/A run: the long idle turns its heap's decisions (a scavenge promoting
// 2–6 MB instead of ~1 MB, in --trace-gc). So the sides warm up in turns of at most this long,
// and the side that measures first warms up last: no side waits longer than a turn or a slice.
const WARMUP_TURN_S = 5

function warmupChunks(warmupS: number): number {
  return Math.max(1, Math.ceil(warmupS / WARMUP_TURN_S))
}

/** The warm-up turns of one round, alternating, ending with `first` (the side that measures first). */
export function warmupOrder(first: Slice['build'], warmupS: number): Array<Slice['build']> {
  if (warmupS <= 0) return []
  const other: Slice['build'] = first === 'base' ? 'head' : 'base'
  return Array.from({ length: 2 * warmupChunks(warmupS) }, (_, i) => (i % 2 === 0 ? other : first))
}

const micros = (s: Pick<Slice, 'cpuMs' | 'responses'>): number => Math.round((1000 * s.cpuMs) / Math.max(1, s.responses))

function totalMicros(slices: readonly Slice[], build: Slice['build']): number {
  const mine = slices.filter((s) => s.build === build)
  return micros({ cpuMs: mine.reduce((sum, s) => sum + s.cpuMs, 0), responses: mine.reduce((sum, s) => sum + s.responses, 0) })
}

function mean(slices: readonly Slice[], build: Slice['build'], figure: (s: Slice) => number): number {
  const mine = slices.filter((s) => s.build === build)
  return mine.reduce((sum, s) => sum + figure(s), 0) / Math.max(1, mine.length)
}

export function summarize(slices: readonly Slice[]): InterleaveResult {
  const rounds = [...new Set(slices.map((s) => s.round))].map((round) => slices.filter((s) => s.round === round))
  return {
    slices,
    baseMicros: totalMicros(slices, 'base'),
    headMicros: totalMicros(slices, 'head'),
    roundRatios: rounds.map((mine) => totalMicros(mine, 'head') / totalMicros(mine, 'base')),
    roundRpsRatios: rounds.map((mine) => mean(mine, 'head', (s) => s.okRps) / mean(mine, 'base', (s) => s.okRps)),
    roundP99Speedups: rounds.map((mine) => mean(mine, 'base', (s) => s.p99Ms) / mean(mine, 'head', (s) => s.p99Ms))
  }
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
