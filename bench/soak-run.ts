import { closeSync, createReadStream, openSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { FAULT_OUTCOMES, soakFaults, type FaultOutcome, type FaultsBySource } from './faults.js'
import { randomIsbn13 } from './isbn.js'
import { sameLatency, SOURCES, type LatencyBySource, type Source } from './latency.js'
import { runLoad, type LoadResult } from './load.js'
import { machineInfo, type MachineInfo } from './machine.js'
import { PROBE_NODE_ARGS, readHeap, type HeapSample } from './memory-probe.js'
import { startMock, type MockStats, type MockUpstream } from './mock-control.js'
import { cpuPercent, sampleProc, tcpSocketsTo, type ProcSample } from './proc-stats.js'
import { freePort, spawnNode, stopAll, stopChild, waitForHttp, type Child } from './processes.js'
import { CONTRACT_STATUSES, ResponseTally, type TallyResult } from './soak-tally.js'
import { BENCH_SERVICE_ENV, TARGETS, targetEnv, type ServiceMode } from './target-specs.js'

// The soak (issue 8): our service at saturation against mock upstreams with a mix of faults,
// for a minute. It counts responses by status and what each source came to (from the bodies),
// the latency, memory at start and end, and the service's sockets to each upstream — and
// fails on a status outside the contract, memory growth beyond 1.2× or sockets beyond the pool
// bounds. It owns every process it starts and stops them all however it ends.

export interface SoakOptions {
  /** Seconds of measured load. Default 60. */
  readonly durationS?: number
  /** Concurrent client connections (autocannon). Default 100. */
  readonly connections?: number
  /** Seconds of the same load before the start figures are taken. Default 5. */
  readonly warmupS?: number
  /** `dist` (node dist/server.js, built first) or `tsx` (src/ through tsx, for tests). Default dist. */
  readonly serviceMode?: ServiceMode
  /** Upstream faults per source. Default: soakFaults() (10% slow, 5% errors, 1% hangs; reviews flaps 5 s / 5 s). */
  readonly faults?: FaultsBySource
  /** Upstream latency of normal answers. Default 10 ms everywhere. */
  readonly latency?: LatencyBySource
  /** % of requests for a small hot set of ISBNs (cache hits); the rest are fresh random ISBNs. Default 20. */
  readonly hotPercent?: number
  readonly hotSetSize?: number
  /** Extra service environment, over SOAK_SERVICE_ENV. */
  readonly serviceEnv?: Readonly<Record<string, string>>
  readonly log?: (line: string) => void
}

/**
 * The service's settings: production defaults (NODE_ENV=production, default log level), except
 * - RATE_LIMIT_MAX out of reach, as in the bench (autocannon is one client);
 * - UPSTREAM_TIMEOUT_MS 800: hangs are cut well inside the 3 s request deadline;
 * - CACHE_MAX_BYTES 2 MiB: the in-memory cache is full within the warm-up, so memory that grows
 *   after it is retained by something else (a 64 MiB cache filling for a minute would by design);
 * - CACHE_TTL_REVIEWS_S 5: the hot set's reviews go stale every 5 s, so stale-while-revalidate and
 *   its background refreshes run against the flapping upstream;
 * - SHUTDOWN_GRACE_MS 0: no load balancer to wait for when the soak stops the service.
 */
export const SOAK_SERVICE_ENV: Readonly<Record<string, string>> = {
  ...BENCH_SERVICE_ENV,
  UPSTREAM_TIMEOUT_MS: '800',
  CACHE_MAX_BYTES: String(2 * 1024 * 1024),
  CACHE_TTL_REVIEWS_S: '5',
  SHUTDOWN_GRACE_MS: '0'
}

// src/book-sources.ts: each upstream's pool holds max(128, UPSTREAM_MAX_CONCURRENCY) sockets.
const CONNECTIONS_PER_UPSTREAM = 128
const DEFAULT_MAX_CONCURRENCY = 64
/** Pause after each load run: longer than the upstream timeout, so abandoned work has settled. */
const SETTLE_MS = 1500
const SOCKET_SAMPLE_MS = 200
const MEMORY_GROWTH_LIMIT = 1.2

export interface SocketFigures {
  /** max(128, UPSTREAM_MAX_CONCURRENCY): the pool's bound. */
  readonly bound: number
  /** Seen from the service (/proc/<pid>/fd + net/tcp, every 200 ms). */
  readonly peak: number
  readonly end: number
  /** Seen from the mock (exact: counted on connect and close). */
  readonly mockPeak: number
  readonly mockEnd: number
  /** Open at the end without ever having carried a request (connected, then not used). */
  readonly neverUsedEnd: number
  /** Sockets the upstream closed and the service did not (CLOSE_WAIT), at most at any sample. */
  readonly closeWaitPeak: number
  readonly endByState: Readonly<Record<string, number>>
}

export interface UpstreamFigures {
  readonly calls: number
  /** What the mock did with the calls of the measured run. */
  readonly outcomes: Record<FaultOutcome, number>
  /** Calls whose client (our service) left before the answer: hangs cut, hedges and slow calls aborted. */
  readonly abandoned: number
  /** Hanging calls still held by the mock after the run settled (the service never let go). */
  readonly hangingAtEnd: number
  /** Most calls in flight at once at the mock, warm-up included. */
  readonly maxInFlight: number
}

export interface SoakCheck {
  /** What it judges: a short run skips `memory` (a ratio over seconds means nothing). */
  readonly kind: 'liveness' | 'statuses' | 'memory' | 'sockets'
  readonly name: string
  readonly wanted: string
  readonly measured: string
  readonly pass: boolean
}

export interface SoakResult {
  readonly machine: MachineInfo
  readonly startedAt: string
  readonly elapsedS: number
  readonly settings: {
    readonly durationS: number
    readonly warmupS: number
    readonly connections: number
    readonly serviceMode: ServiceMode
    readonly serviceEnv: Readonly<Record<string, string>>
    readonly latency: LatencyBySource
    readonly faults: FaultsBySource
    readonly hotPercent: number
    readonly hotSetSize: number
  }
  readonly load: LoadResult
  /** Statuses of the warm-up run (they count for the contract check too). */
  readonly warmupStatuses: Record<string, number>
  readonly responses: TallyResult
  readonly upstreams: Record<Source, UpstreamFigures>
  readonly memory: {
    readonly rssStartMb: number
    readonly rssEndMb: number
    readonly rssPeakMb: number
    readonly heapStartMb: number | null
    readonly heapEndMb: number | null
    /** Where the memory is, after the GC of each heap sample: V8's spaces and off-heap. */
    readonly breakdownStart: MemoryBreakdown | null
    readonly breakdownEnd: MemoryBreakdown | null
  }
  /** % of one core over the measured run. */
  readonly cpuPercent: { readonly service: number; readonly mock: number; readonly loadGenerator: number }
  readonly sockets: Record<Source, SocketFigures>
  /** Once a second during the measured run: RSS and sockets per upstream. */
  readonly timeline: readonly { readonly tS: number; readonly rssMb: number; readonly sockets: Record<Source, number> }[]
  /** The service's log lines by pino level, and the warn/error messages among them. */
  readonly serviceLog: { readonly levels: Record<string, number>; readonly messages: Record<string, number> }
  /** How the service ended when stopped with SIGTERM (0 = clean), or how it died during the run. */
  readonly serviceExit: number | string
  readonly diedDuringRun: boolean
  readonly checks: readonly SoakCheck[]
  readonly pass: boolean
}

export interface MemoryBreakdown {
  readonly rssMb: number
  readonly heapTotalMb: number
  readonly newSpaceMb: number
  readonly oldSpaceMb: number
  readonly otherSpacesMb: number
  readonly externalMb: number
  readonly arrayBuffersMb: number
}

const MB = 1024 * 1024
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10
function breakdownOf(sample: HeapSample | null): MemoryBreakdown | null {
  if (sample === null) return null
  const space = (name: string): number => sample.spaces[name]?.size ?? 0
  const all = Object.values(sample.spaces).reduce((sum, s) => sum + s.size, 0)
  return {
    rssMb: mb(sample.rssBytes),
    heapTotalMb: mb(sample.heapTotalBytes),
    newSpaceMb: mb(space('new_space')),
    oldSpaceMb: mb(space('old_space')),
    otherSpacesMb: mb(all - space('new_space') - space('old_space')),
    externalMb: mb(sample.externalBytes),
    arrayBuffersMb: mb(sample.arrayBuffersBytes)
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10

function mustSample(pid: number): ProcSample {
  const sample = sampleProc(pid)
  if (sample === null) throw new Error(`process ${pid} disappeared during the soak`)
  return sample
}

const zeroBySource = (): Record<Source, number> => ({ publisher: 0, reviews: 0, recommendations: 0 })

/** Follows the service's upstream sockets and RSS while the load runs. */
class Monitor {
  readonly peak = zeroBySource()
  readonly closeWaitPeak = zeroBySource()
  readonly timeline: { tS: number; rssMb: number; sockets: Record<Source, number> }[] = []
  private rssPeak = 0
  private timer: NodeJS.Timeout | undefined
  private timelineStart: number | undefined
  private lastTimelineAt = -Infinity

  constructor(private readonly pid: number, private readonly ports: Record<Source, number>) {}

  start(): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), SOCKET_SAMPLE_MS)
  }

  /** From now on, one timeline point per second. */
  startTimeline(): void {
    this.timelineStart = performance.now()
    this.lastTimelineAt = -Infinity
    this.rssPeak = 0
  }

  stopTimeline(): number {
    this.sample()
    this.timelineStart = undefined
    return this.rssPeak
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** Sockets per upstream now, with their TCP states. */
  sockets(): Record<Source, { total: number; byState: Readonly<Record<string, number>> }> | null {
    const byPort = tcpSocketsTo(this.pid, SOURCES.map((s) => this.ports[s]))
    if (byPort === null) return null
    return Object.fromEntries(SOURCES.map((s) => [s, byPort.get(this.ports[s]) ?? { total: 0, byState: {} }])) as
      Record<Source, { total: number; byState: Readonly<Record<string, number>> }>
  }

  sample(): void {
    const sockets = this.sockets()
    if (sockets === null) return
    for (const s of SOURCES) {
      this.peak[s] = Math.max(this.peak[s], sockets[s].total)
      this.closeWaitPeak[s] = Math.max(this.closeWaitPeak[s], sockets[s].byState.CLOSE_WAIT ?? 0)
    }
    if (this.timelineStart === undefined) return
    const rss = sampleProc(this.pid)?.rssBytes ?? 0
    this.rssPeak = Math.max(this.rssPeak, rss)
    const now = performance.now()
    if (now - this.lastTimelineAt < 1000) return
    this.lastTimelineAt = now
    this.timeline.push({
      tS: Math.round((now - this.timelineStart) / 100) / 10,
      rssMb: mb(rss),
      sockets: Object.fromEntries(SOURCES.map((s) => [s, sockets[s].total])) as Record<Source, number>
    })
  }
}

/** Counts the service's log lines by level, and its warn/error/fatal messages. */
async function scanLog(path: string): Promise<SoakResult['serviceLog']> {
  const levels: Record<string, number> = {}
  const messages: Record<string, number> = {}
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
  for await (const line of lines) {
    const level = /^\{"level":(\d+)/.exec(line)?.[1] ?? 'unparsed'
    levels[level] = (levels[level] ?? 0) + 1
    if (level !== 'unparsed' && Number(level) < 40) continue
    let message = line.slice(0, 200)
    try {
      const entry = JSON.parse(line) as { msg?: unknown; err?: { message?: unknown } }
      message = `[${level}] ${String(entry.msg ?? '')}${entry.err?.message === undefined ? '' : `: ${String(entry.err.message)}`}`
    } catch {
      // not JSON: keep the raw start of the line
    }
    if (message in messages || Object.keys(messages).length < 30) messages[message] = (messages[message] ?? 0) + 1
  }
  return { levels, messages }
}

function upstreamDelta(before: MockStats, after: MockStats): Record<Source, UpstreamFigures> {
  return Object.fromEntries(SOURCES.map((s) => [s, {
    calls: after.calls[s] - before.calls[s],
    outcomes: Object.fromEntries(FAULT_OUTCOMES.map((o) => [o, (after.outcomes[s]?.[o] ?? 0) - (before.outcomes[s]?.[o] ?? 0)])) as Record<FaultOutcome, number>,
    abandoned: (after.abandoned[s] ?? 0) - (before.abandoned[s] ?? 0),
    hangingAtEnd: after.hanging[s] ?? 0,
    maxInFlight: after.maxInFlight[s]
  }])) as Record<Source, UpstreamFigures>
}

const ratioText = (end: number | null, start: number | null): string =>
  end === null || start === null || start <= 0 ? 'not measured' : `${end} / ${start} MB = ${(end / start).toFixed(2)}×`

export function judgeSoak(r: Omit<SoakResult, 'checks' | 'pass'>): SoakCheck[] {
  const statuses = { ...r.warmupStatuses }
  for (const [code, count] of Object.entries(r.load.statusCodes)) statuses[code] = (statuses[code] ?? 0) + count
  const outside = Object.entries(statuses).filter(([code]) => !CONTRACT_STATUSES.includes(Number(code)))
  const heapOk = r.memory.heapStartMb !== null && r.memory.heapEndMb !== null &&
    r.memory.heapEndMb <= MEMORY_GROWTH_LIMIT * r.memory.heapStartMb
  const checks: SoakCheck[] = [
    {
      kind: 'liveness',
      name: 'the service stayed up',
      wanted: 'alive until stopped',
      measured: r.diedDuringRun ? `died (${r.serviceExit})` : 'alive',
      pass: !r.diedDuringRun
    },
    {
      kind: 'liveness',
      name: 'responses',
      wanted: '> 0',
      measured: String(r.load.requests),
      pass: r.load.requests > 0
    },
    {
      kind: 'statuses',
      name: 'HTTP statuses (warm-up and run)',
      wanted: CONTRACT_STATUSES.join(', '),
      measured: outside.length === 0 ? 'only those' : `also ${outside.map(([code, n]) => `${code} ×${n}`).join(', ')}`,
      pass: outside.length === 0
    },
    {
      kind: 'statuses',
      name: 'requests left without an answer (connection errors + timeouts)',
      wanted: '0',
      measured: `${r.load.errors} errors, ${r.load.timeouts} timeouts`,
      pass: r.load.errors + r.load.timeouts === 0
    },
    {
      kind: 'memory',
      name: 'RSS end ÷ start',
      wanted: `≤ ${MEMORY_GROWTH_LIMIT}×`,
      measured: ratioText(r.memory.rssEndMb, r.memory.rssStartMb),
      pass: r.memory.rssStartMb > 0 && r.memory.rssEndMb <= MEMORY_GROWTH_LIMIT * r.memory.rssStartMb
    },
    {
      kind: 'memory',
      name: 'heap used end ÷ start (after GC)',
      wanted: `≤ ${MEMORY_GROWTH_LIMIT}×`,
      measured: ratioText(r.memory.heapEndMb, r.memory.heapStartMb),
      pass: heapOk
    }
  ]
  for (const s of SOURCES) {
    const sockets = r.sockets[s]
    const peak = Math.max(sockets.peak, sockets.mockPeak)
    checks.push({
      kind: 'sockets',
      name: `${s}: upstream sockets, peak`,
      wanted: `≤ ${sockets.bound}`,
      measured: `${peak} (service ${sockets.peak}, mock ${sockets.mockPeak}); ${sockets.end} at the end`,
      pass: peak <= sockets.bound && sockets.end <= sockets.bound
    })
  }
  if (!r.diedDuringRun) {
    checks.push({
      kind: 'liveness',
      name: 'exit on SIGTERM after the soak',
      wanted: '0',
      measured: String(r.serviceExit),
      pass: r.serviceExit === 0
    })
  }
  const held = SOURCES.filter((s) => r.upstreams[s].hangingAtEnd > 0)
  checks.push({
    kind: 'sockets',
    name: 'hung upstream calls released by the service',
    wanted: `0 still held ${SETTLE_MS / 1000} s after the load`,
    measured: held.length === 0 ? '0' : held.map((s) => `${s} ${r.upstreams[s].hangingAtEnd}`).join(', '),
    pass: held.length === 0
  })
  return checks
}

function isbnMix(hotPercent: number, hotSetSize: number): () => string {
  const hot = Array.from({ length: hotSetSize }, randomIsbn13)
  return () => (hot.length > 0 && Math.random() * 100 < hotPercent
    ? hot[Math.floor(Math.random() * hot.length)] as string
    : randomIsbn13())
}

async function stopQuietly(what: MockUpstream | Child | undefined): Promise<void> {
  if (what === undefined) return
  await ('urls' in what ? what.stop() : stopChild(what)).catch(() => undefined)
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const log = options.log ?? (() => undefined)
  const durationS = options.durationS ?? 60
  const warmupS = options.warmupS ?? 5
  const connections = options.connections ?? 100
  const serviceMode = options.serviceMode ?? 'dist'
  const faults = options.faults ?? soakFaults()
  const latency = options.latency ?? sameLatency(10)
  const hotPercent = options.hotPercent ?? 20
  const hotSetSize = options.hotSetSize ?? 50
  const serviceEnv = { ...SOAK_SERVICE_ENV, ...options.serviceEnv }
  const maxConcurrency = Number(serviceEnv.UPSTREAM_MAX_CONCURRENCY ?? DEFAULT_MAX_CONCURRENCY)
  const bound = Math.max(CONNECTIONS_PER_UPSTREAM, maxConcurrency)
  const startedAt = new Date()
  const t0 = performance.now()

  const logDir = await mkdtemp(join(tmpdir(), 'book-aggregator-soak-'))
  const logPath = join(logDir, 'service.log')
  let mock: MockUpstream | undefined
  let service: Child | undefined
  let monitor: Monitor | undefined
  try {
    mock = await startMock(latency, { faults })
    const port = await freePort()
    const logFd = openSync(logPath, 'w')
    try {
      service = spawnNode('ours', [...PROBE_NODE_ARGS, ...TARGETS.ours.nodeArgs({ serviceMode })], {
        env: targetEnv(port, mock.urls, serviceEnv),
        stdout: logFd,
        ipc: true
      })
    } finally {
      closeSync(logFd) // the child has its own copy
    }
    const child = service
    let exitedWith: number | string | undefined
    void child.exited.then((code) => { exitedWith = code })
    const url = `http://127.0.0.1:${port}`
    await waitForHttp(child, `${url}/healthz`)
    const ports = Object.fromEntries(SOURCES.map((s) => [s, Number(new URL((mock as MockUpstream).urls[s]).port)])) as Record<Source, number>
    monitor = new Monitor(child.pid, ports)
    monitor.start()

    const nextIsbn = isbnMix(hotPercent, hotSetSize)
    const plan = { url, api: 'rest' as const, isbn: 'random' as const, connections, nextIsbn }
    log(`warm-up: ${warmupS} s at ${connections} connections`)
    const warmup = await runLoad({ ...plan, durationS: warmupS })
    await sleep(SETTLE_MS)
    if (exitedWith !== undefined) throw new Error(`the service exited (${exitedWith}) during the warm-up:\n${child.stderrTail()}`)

    const before = await mock.stats()
    const heapStart = await readHeap(child)
    const rssStart = sampleProc(child.pid)?.rssBytes ?? 0
    const cpuStart = { service: mustSample(child.pid), mock: mustSample(mock.child.pid), harness: process.cpuUsage(), at: performance.now() }
    log(`soak: ${durationS} s at ${connections} connections (RSS ${mb(rssStart)} MB, heap ${heapStart === null ? '?' : mb(heapStart.heapUsedBytes)} MB after warm-up)`)
    const tally = new ResponseTally()
    monitor.startTimeline()
    const load = await runLoad({ ...plan, durationS, onResponse: tally.record })
    const rssPeak = monitor.stopTimeline()
    const serviceCpuEnd = sampleProc(child.pid)
    const mockCpuEnd = sampleProc(mock.child.pid)
    const harnessCpu = process.cpuUsage(cpuStart.harness)
    const cpu = {
      service: serviceCpuEnd === null ? 0 : round1(cpuPercent(cpuStart.service, serviceCpuEnd)),
      mock: mockCpuEnd === null ? 0 : round1(cpuPercent(cpuStart.mock, mockCpuEnd)),
      loadGenerator: round1((100 * (harnessCpu.user + harnessCpu.system)) / 1000 / (performance.now() - cpuStart.at))
    }
    log(`  ${Math.round(load.rps)} req/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms; settling ${SETTLE_MS} ms`)
    await sleep(SETTLE_MS)

    const diedDuringRun = exitedWith !== undefined
    const after = await mock.stats()
    const heapEnd = diedDuringRun ? null : await readHeap(child)
    const rssEnd = sampleProc(child.pid)?.rssBytes ?? 0
    monitor.sample()
    monitor.stop()
    const endSockets = monitor.sockets()
    const sockets = Object.fromEntries(SOURCES.map((s) => [s, {
      bound,
      peak: monitor?.peak[s] ?? 0,
      end: endSockets?.[s].total ?? 0,
      mockPeak: after.peakOpenConnections[s] ?? 0,
      mockEnd: after.openConnections[s] ?? 0,
      neverUsedEnd: after.openNeverUsed[s] ?? 0,
      closeWaitPeak: monitor?.closeWaitPeak[s] ?? 0,
      endByState: endSockets?.[s].byState ?? {}
    }])) as Record<Source, SocketFigures>

    await stopChild(child)
    const serviceExit = exitedWith ?? await child.exited
    await stopQuietly(mock)
    const serviceLog = await scanLog(logPath)

    const partial: Omit<SoakResult, 'checks' | 'pass'> = {
      machine: machineInfo(),
      startedAt: startedAt.toISOString(),
      elapsedS: Math.round((performance.now() - t0) / 100) / 10,
      settings: { durationS, warmupS, connections, serviceMode, serviceEnv, latency, faults, hotPercent, hotSetSize },
      load,
      warmupStatuses: warmup.statusCodes,
      responses: tally.result(),
      upstreams: upstreamDelta(before, after),
      memory: {
        rssStartMb: mb(rssStart),
        rssEndMb: mb(rssEnd),
        rssPeakMb: mb(Math.max(rssPeak, rssEnd)),
        heapStartMb: heapStart === null ? null : mb(heapStart.heapUsedBytes),
        heapEndMb: heapEnd === null ? null : mb(heapEnd.heapUsedBytes),
        breakdownStart: breakdownOf(heapStart),
        breakdownEnd: breakdownOf(heapEnd)
      },
      cpuPercent: cpu,
      sockets,
      timeline: monitor.timeline,
      serviceLog,
      serviceExit: diedDuringRun ? exitedWith ?? 'unknown' : serviceExit,
      diedDuringRun
    }
    const checks = judgeSoak(partial)
    return { ...partial, checks, pass: checks.every((c) => c.pass) }
  } finally {
    monitor?.stop()
    await stopQuietly(service)
    await stopQuietly(mock)
    await stopAll()
    await rm(logDir, { recursive: true, force: true })
  }
}
