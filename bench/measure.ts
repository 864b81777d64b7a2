import { BooksTally } from './books-answered.js'
import { readHeap, PROBE_NODE_ARGS } from './memory-probe.js'
import type { MockUpstream } from './mock-control.js'
import { runLoad, type IsbnMode } from './load.js'
import { cpuPercent, sampleMachine, sampleProc, watchPeakRss, type ProcSample } from './proc-stats.js'
import { freePort, spawnNode, stopChild, waitForHttp, type Child } from './processes.js'
import type { Measurement } from './scenario-types.js'
import { BENCH_SERVICE_ENV, TARGETS, targetEnv, type TargetLaunch, type TargetName } from './target-specs.js'

// One measurement: start a target against the running mock, warm it up (JIT, pools, sockets),
// then measure a run while sampling the target's CPU and memory, and stop it again. Each
// target gets a fresh process so no run inherits another's heap or connections.

export interface MeasureInput {
  readonly target: TargetName
  readonly mock: MockUpstream
  readonly connections: number
  readonly durationS: number
  readonly warmupS: number
  readonly amount?: number
  readonly isbn: IsbnMode
  readonly warmupIsbn: IsbnMode
  readonly serviceEnv: Readonly<Record<string, string>>
  readonly launch: TargetLaunch
  /** Read every body of the measured run: books answered whole, answers within this deadline (ms). */
  readonly booksDeadlineMs?: number
}

const MB = 1024 * 1024
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10

export interface StartedTarget {
  readonly child: Child
  readonly url: string
}

export interface StartOptions {
  /** Node/V8 flags before the target's own arguments (`--trace-gc-nvp` for bench:gc). */
  readonly nodeFlags?: readonly string[]
  /** Where the target's stdout goes (a file descriptor); /dev/null by default. */
  readonly stdout?: number
}

/** A target process against the mock, answering its health check; stopped again if it never does. */
export async function startTarget(
  target: TargetName, mock: MockUpstream, serviceEnv: Readonly<Record<string, string>>, launch: TargetLaunch, options: StartOptions = {}
): Promise<StartedTarget> {
  const port = await freePort()
  const env = targetEnv(port, mock.urls, target === 'ours' ? { ...BENCH_SERVICE_ENV, ...serviceEnv } : {})
  const args = [...PROBE_NODE_ARGS, ...(options.nodeFlags ?? []), ...TARGETS[target].nodeArgs(launch)]
  const child = spawnNode(target, args, { env, stdout: options.stdout ?? 'ignore', ipc: true, execPath: launch.nodePath })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForHttp(child, `${url}/healthz`)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return { child, url }
}

export async function measureTarget(input: MeasureInput): Promise<Measurement> {
  const spec = TARGETS[input.target]
  const { child, url } = await startTarget(input.target, input.mock, input.serviceEnv, input.launch)
  try {
    const plan = { url, api: spec.api, connections: input.connections }
    // Warm-up is for the JIT and the upstream pools, at no more than 100 connections: an
    // overload here (breakers opening, queues filling) would bleed into the measured run. Its
    // ISBNs are the scenario's choice (random unless it measures a warm cache).
    if (input.warmupS > 0) {
      await runLoad({ ...plan, connections: Math.min(plan.connections, 100), isbn: input.warmupIsbn, durationS: input.warmupS })
      // autocannon drops its sockets mid-request when it stops: give the target a moment to
      // finish that abandoned work so it does not bill the measured run.
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, input.warmupS * 250)))
    }

    await input.mock.reset()
    const heapStart = await readHeap(child)
    const start = mustSample(child.pid)
    const mockStart = mustSample(input.mock.child.pid)
    const machineStart = sampleMachine()
    const harnessStart = process.cpuUsage()
    const wallStart = performance.now()
    const peak = watchPeakRss(child.pid)

    const books = input.booksDeadlineMs === undefined ? undefined : new BooksTally(input.booksDeadlineMs)
    const load = await runLoad({
      ...plan,
      isbn: input.isbn,
      durationS: input.durationS,
      ...(input.amount === undefined ? {} : { amount: input.amount }),
      ...(books === undefined ? {} : { onResponse: books.record })
    })

    const end = mustSample(child.pid)
    const mockEnd = mustSample(input.mock.child.pid)
    const machineEnd = sampleMachine()
    const harnessCpu = process.cpuUsage(harnessStart)
    const wallMs = performance.now() - wallStart
    const rssPeak = peak.stop()
    const stats = await input.mock.stats()
    const heapEnd = await readHeap(child)
    const rssEnd = sampleProc(child.pid)?.rssBytes ?? end.rssBytes
    const mockCpuPercent = round(cpuPercent(mockStart, mockEnd))
    const loadGeneratorCpuPercent = round((100 * (harnessCpu.user + harnessCpu.system)) / 1000 / wallMs)

    return {
      target: input.target,
      load,
      service: {
        cpuPercent: round(cpuPercent(start, end)),
        rssStartMb: mb(start.rssBytes),
        rssEndMb: mb(rssEnd),
        rssPeakMb: mb(rssPeak),
        heapUsedStartMb: heapStart === null ? null : mb(heapStart.heapUsedBytes),
        heapUsedEndMb: heapEnd === null ? null : mb(heapEnd.heapUsedBytes)
      },
      upstreamCalls: stats.calls,
      upstreamBooksServed: stats.booksServed,
      upstreamRejected429: stats.rejected429,
      ...(books === undefined ? {} : { books: books.result(load.durationS) }),
      upstreamMaxInFlight: stats.maxInFlight,
      upstreamConnections: stats.connections,
      mockCpuPercent,
      loadGeneratorCpuPercent,
      otherCpuPercent: machineStart === null || machineEnd === null ? null
        : round(Math.max(0, cpuPercent(machineStart, machineEnd) - cpuPercent(start, end) - mockCpuPercent - loadGeneratorCpuPercent))
    }
  } finally {
    await stopChild(child)
  }
}

function mustSample(pid: number): ProcSample {
  const sample = sampleProc(pid)
  if (sample === null) throw new Error(`process ${pid} disappeared during the measurement`)
  return sample
}

const round = (n: number): number => Math.round(n * 10) / 10
