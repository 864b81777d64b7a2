import { startMock } from './mock-control.js'
import { runLoad } from './load.js'
import { PROBE_NODE_ARGS } from './memory-probe.js'
import { freePort, spawnNode, stopChild, waitForHttp, type Child } from './processes.js'
import { sampleProc } from './proc-stats.js'
import type { Scenario } from './scenario-types.js'
import { BENCH_SERVICE_ENV, TARGETS, targetEnv, type ServiceMode } from './target-specs.js'

// Two builds of our service running side by side against one mock, the load switching from one
// to the other every few seconds (ABBA). On a shared VM the machine's speed drifts within
// minutes; slices this short see nearly the same machine, so their ratio is the change's.
// The idle build waits on its sockets meanwhile and uses next to no CPU.

export interface InterleaveOptions {
  readonly scenario: Scenario
  /** Checkouts whose builds are compared: [base, head]. */
  readonly roots: readonly [string, string]
  readonly serviceMode: ServiceMode
  /** Slices of load per build. */
  readonly slices: number
  readonly sliceS: number
  readonly warmupS: number
  readonly serviceEnv?: Readonly<Record<string, string>>
  readonly log?: (line: string) => void
}

export interface Slice {
  readonly build: 'base' | 'head'
  readonly responses: number
  readonly cpuMs: number
}

export interface InterleaveResult {
  readonly slices: readonly Slice[]
  /** CPU µs per response over all slices of each build. */
  readonly baseMicros: number
  readonly headMicros: number
  /** head ÷ base of each back-to-back pair of slices. */
  readonly pairRatios: readonly number[]
}

interface Running {
  readonly child: Child
  readonly url: string
}

export async function interleavedAb(options: InterleaveOptions): Promise<InterleaveResult> {
  const { scenario } = options
  if (scenario.grid !== undefined) throw new Error(`${scenario.name} is a grid; pick a scenario with one case`)
  const mock = await startMock(scenario.latency)
  const started: Running[] = []
  try {
    for (const root of options.roots) {
      const port = await freePort()
      const env = targetEnv(port, mock.urls, { ...BENCH_SERVICE_ENV, ...scenario.serviceEnv, ...options.serviceEnv })
      const child = spawnNode('ours', [...PROBE_NODE_ARGS, ...TARGETS.ours.nodeArgs({ serviceMode: options.serviceMode, serviceRoot: root })], { env, stdout: 'ignore', ipc: true })
      const url = `http://127.0.0.1:${port}`
      started.push({ child, url })
      await waitForHttp(child, `${url}/healthz`)
    }
    const load = (target: Running, durationS: number, isbn = scenario.isbn) =>
      runLoad({ url: target.url, api: 'rest', connections: scenario.connections, isbn, durationS })
    // Random ISBNs, as the one-at-a-time harness warms up: JIT and pools, no primed cache.
    for (const target of started) if (options.warmupS > 0) await load(target, options.warmupS, 'random')

    const slices: Slice[] = []
    for (let i = 0; i < options.slices; i++) {
      const order: Array<Slice['build']> = i % 2 === 0 ? ['base', 'head'] : ['head', 'base']
      for (const build of order) {
        const target = started[build === 'base' ? 0 : 1] as Running
        const before = sampleProc(target.child.pid)
        const result = await load(target, options.sliceS)
        const after = sampleProc(target.child.pid)
        if (before === null || after === null) throw new Error(`the ${build} build exited during the run`)
        const slice = { build, responses: result.requests, cpuMs: after.cpuMs - before.cpuMs }
        slices.push(slice)
        options.log?.(`${build}  ${Math.round(result.rps)} req/s  ${micros(slice)} µs of CPU per response`)
      }
    }
    return summarize(slices)
  } finally {
    await Promise.all(started.map((s) => stopChild(s.child)))
    await mock.stop()
  }
}

const micros = (s: Pick<Slice, 'cpuMs' | 'responses'>): number => Math.round((1000 * s.cpuMs) / Math.max(1, s.responses))

export function summarize(slices: readonly Slice[]): InterleaveResult {
  const total = (build: Slice['build']) => slices.filter((s) => s.build === build)
    .reduce((sum, s) => ({ cpuMs: sum.cpuMs + s.cpuMs, responses: sum.responses + s.responses }), { cpuMs: 0, responses: 0 })
  const pairRatios: number[] = []
  for (let i = 0; i + 1 < slices.length; i += 2) {
    const [a, b] = [slices[i] as Slice, slices[i + 1] as Slice]
    const [base, head] = a.build === 'base' ? [a, b] : [b, a]
    pairRatios.push(micros(head) / micros(base))
  }
  return { slices, baseMicros: micros(total('base')), headMicros: micros(total('head')), pairRatios }
}
