import { startMock, type MockUpstream } from './mock-control.js'
import { runLoad } from './load.js'
import { startTarget, type StartedTarget } from './measure.js'
import { pinToCpu, stopChild } from './processes.js'
import { sampleProc } from './proc-stats.js'
import type { Scenario } from './scenario-types.js'
import type { ServiceMode } from './target-specs.js'

// Two builds of our service running side by side against one mock, the load switching from one
// to the other every few seconds (ABBA). On a shared VM the machine's speed drifts within
// minutes; slices this short see nearly the same machine, so their ratio is the change's.
// The idle build waits on its sockets meanwhile and uses next to no CPU. Where it can, it pins
// both builds to one CPU and the mock and the load generator to the other.
// A process's own luck (JIT and heap decisions) also moves its cost by up to ±30% for its
// whole life, measured with the same build in both slots; so each round starts both afresh,
// and the rounds' median is the figure.

export interface InterleaveOptions {
  readonly scenario: Scenario
  /** Checkouts whose builds are compared: [base, head]. */
  readonly roots: readonly [string, string]
  readonly serviceMode: ServiceMode
  /** Node.js executables for [base, head]; unset: the harness's own. */
  readonly nodePaths?: readonly [string | undefined, string | undefined]
  /** Rounds, each with a fresh process of each build. */
  readonly rounds: number
  /** Seconds per slice; each round has two slices of each build, ABBA. */
  readonly sliceS: number
  readonly warmupS: number
  readonly serviceEnv?: Readonly<Record<string, string>>
  /** Extra environment for [base, head] alone, over the shared one: two settings of one build. */
  readonly sideEnv?: readonly [Readonly<Record<string, string>>, Readonly<Record<string, string>>]
  readonly log?: (line: string) => void
}

export interface Slice {
  readonly round: number
  readonly build: 'base' | 'head'
  readonly responses: number
  readonly cpuMs: number
}

export interface InterleaveResult {
  readonly slices: readonly Slice[]
  /** CPU µs per response over all slices of each build. */
  readonly baseMicros: number
  readonly headMicros: number
  /** head ÷ base of each round (CPU per response over its slices). */
  readonly roundRatios: readonly number[]
}

const SLICE_ORDER: ReadonlyArray<Slice['build']> = ['base', 'head', 'head', 'base']

export async function interleavedAb(options: InterleaveOptions): Promise<InterleaveResult> {
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
  }
}

async function runRound(options: InterleaveOptions, mock: MockUpstream, round: number): Promise<Slice[]> {
  const { scenario } = options
  const started: StartedTarget[] = []
  try {
    const serviceEnv = { ...scenario.serviceEnv, ...options.serviceEnv }
    for (const [i, root] of options.roots.entries()) {
      const nodePath = options.nodePaths?.[i]
      started.push(await startTarget('ours', mock, { ...serviceEnv, ...options.sideEnv?.[i] }, { serviceMode: options.serviceMode, serviceRoot: root, ...(nodePath === undefined ? {} : { nodePath }) }))
    }
    const pinned = started.every((s) => pinToCpu(s.child.pid, 1)) && pinToCpu(mock.child.pid, 0) && pinToCpu(process.pid, 0)
    if (round === 0) options.log?.(pinned ? 'both builds pinned to CPU 1, the mock and the load generator to CPU 0' : 'not pinned to CPUs (no taskset or one CPU)')
    const load = (target: StartedTarget, durationS: number, isbn = scenario.isbn) =>
      runLoad({ url: target.url, api: 'rest', connections: scenario.connections, isbn, durationS })
    for (const target of started) if (options.warmupS > 0) await load(target, options.warmupS, scenario.warmupIsbn ?? 'random')

    const slices: Slice[] = []
    for (const build of round % 2 === 0 ? SLICE_ORDER : [...SLICE_ORDER].reverse()) {
      const target = started[build === 'base' ? 0 : 1] as StartedTarget
      const before = sampleProc(target.child.pid)
      const result = await load(target, options.sliceS)
      const after = sampleProc(target.child.pid)
      if (before === null || after === null) throw new Error(`the ${build} build exited during the run`)
      const slice = { round, build, responses: result.requests, cpuMs: after.cpuMs - before.cpuMs }
      slices.push(slice)
      options.log?.(`${build}  ${Math.round(result.rps)} req/s  ${micros(slice)} µs of CPU per response  (round ${round + 1})`)
    }
    return slices
  } finally {
    await Promise.all(started.map((s) => stopChild(s.child)))
  }
}

const micros = (s: Pick<Slice, 'cpuMs' | 'responses'>): number => Math.round((1000 * s.cpuMs) / Math.max(1, s.responses))

function totalMicros(slices: readonly Slice[], build: Slice['build']): number {
  const mine = slices.filter((s) => s.build === build)
  return micros({ cpuMs: mine.reduce((sum, s) => sum + s.cpuMs, 0), responses: mine.reduce((sum, s) => sum + s.responses, 0) })
}

export function summarize(slices: readonly Slice[]): InterleaveResult {
  const rounds = [...new Set(slices.map((s) => s.round))]
  const roundRatios = rounds.map((round) => {
    const mine = slices.filter((s) => s.round === round)
    return totalMicros(mine, 'head') / totalMicros(mine, 'base')
  })
  return { slices, baseMicros: totalMicros(slices, 'base'), headMicros: totalMicros(slices, 'head'), roundRatios }
}
