import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseEnvPairs, runCli } from './cli.js'
import { sameLatency } from './latency.js'
import { UNCACHED } from './scenarios.js'
import { runLoad } from './load.js'
import { startMock, type MockUpstream } from './mock-control.js'
import { n, table } from './markdown-table.js'
import { sampleProc } from './proc-stats.js'
import { startTarget, type StartedTarget } from './measure.js'
import { pinToCpu, stopChild } from './processes.js'
import { summarizeScavenges, type ScavengeSummary } from './scavenge-trace.js'
import { TARGETS, type TargetName } from './target-specs.js'

// `npm run bench:gc`: how each fresh process of a target collects its young generation under
// the fanout-cpu load, one process after another. Processes of one build do not all settle
// the same way: in some, a scavenge keeps 2–3× as much and pauses 2–3× as long, and CPU per
// response follows. Interleaved rounds average that out; this shows it, per process, beside
// a baseline's processes under the same load (`--trace-gc-nvp`, pinned as the interleaved runs are).

const HELP = `usage: npm run bench:gc -- [--target ours|mercurius|minimal ...] [--processes N] [--warmup S] [--duration S] [--env K=V ...]
  --target     targets to compare, one process of each in turn (default: ours, mercurius)
  --processes  fresh processes per target (default 4)
  --warmup     seconds of load before measuring (default 10)
  --duration   seconds measured (default 8)
  --latency    upstream latency in ms (default 0, as fanout-cpu)
  --env K=V    settings for our service (repeatable); default: fanout-cpu's (cache off, bulkhead sized for the load)`

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    processes: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '10' },
    duration: { type: 'string', default: '8' },
    latency: { type: 'string', default: '0' },
    env: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false }
  }
})

interface ProcessRun extends ScavengeSummary {
  readonly target: TargetName
  readonly okRps: number
  readonly p99Ms: number
  readonly cpuMicrosPerResponse: number
  readonly pauseMicrosPerResponse: number
}

async function runProcess(target: TargetName, mock: MockUpstream, dir: string, serviceEnv: Record<string, string>, seconds: { warmup: number; duration: number }): Promise<ProcessRun> {
  const tracePath = join(dir, `${target}.trace`)
  const trace = openSync(tracePath, 'w')
  let started: StartedTarget
  try {
    started = await startTarget(target, mock, serviceEnv, { serviceMode: 'dist' }, { nodeFlags: ['--trace-gc-nvp'], stdout: trace })
  } finally {
    closeSync(trace)
  }
  const { child, url } = started
  try {
    pinToCpu(child.pid, 1)
    const plan = { url, api: TARGETS[target].api, connections: 100, isbn: 'random' as const }
    await runLoad({ ...plan, durationS: seconds.warmup })
    const offset = readFileSync(tracePath, 'utf8').length
    const before = sampleProc(child.pid)
    const load = await runLoad({ ...plan, durationS: seconds.duration })
    const after = sampleProc(child.pid)
    if (before === null || after === null) throw new Error(`${target} exited during the run`)
    const summary = summarizeScavenges(readFileSync(tracePath, 'utf8').slice(offset))
    return {
      target,
      ...summary,
      okRps: load.okRps,
      p99Ms: load.latencyMs.p99,
      cpuMicrosPerResponse: ((after.cpuMs - before.cpuMs) * 1000) / load.requests,
      pauseMicrosPerResponse: (summary.totalPauseMs * 1000) / load.requests
    }
  } finally {
    await stopChild(child)
  }
}

const MB = 1024 * 1024

async function main(): Promise<number> {
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const targets = (values.target ?? ['ours', 'mercurius']) as TargetName[]
  for (const target of targets) if (!(target in TARGETS)) throw new Error(`unknown target "${target}"`)
  const processes = Number(values.processes)
  const seconds = { warmup: Number(values.warmup), duration: Number(values.duration) }
  const serviceEnv = { ...UNCACHED, ...parseEnvPairs(values.env) }
  const mock = await startMock(sameLatency(Number(values.latency)))
  const dir = mkdtempSync(join(tmpdir(), 'book-aggregator-gc-'))
  const runs: ProcessRun[] = []
  try {
    pinToCpu(mock.child.pid, 0)
    pinToCpu(process.pid, 0)
    for (let i = 0; i < processes; i++) {
      // Alternating which target goes first, so neither always runs on a fresher machine.
      for (const target of i % 2 === 0 ? targets : [...targets].reverse()) {
        const run = await runProcess(target, mock, dir, serviceEnv, seconds)
        runs.push(run)
        console.log(`${target}: ${Math.round(run.cpuMicrosPerResponse)} µs/response, scavenges pause ${run.meanPauseMs.toFixed(1)} ms, promotion rate ${(run.promotionRate * 100).toFixed(0)}%`)
      }
    }
  } finally {
    await mock.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  console.log(`\nfanout-cpu load (upstreams at ${values.latency} ms, 100 connections), ${seconds.warmup} s warm-up, ${seconds.duration} s measured, one row per fresh process:\n`)
  console.log(table(
    ['target', '2xx/s', 'p99 ms', 'CPU µs/response', 'scavenges', 'mean pause ms', 'pause µs/response', 'survived MB', 'promoted MB', 'promotion rate'],
    runs.map((r) => [r.target, n(r.okRps), n(r.p99Ms), n(r.cpuMicrosPerResponse), n(r.scavenges), n(r.meanPauseMs, 1),
      n(r.pauseMicrosPerResponse, 1), n(r.survivedBytes / MB, 1), n(r.promotedBytes / MB, 1), `${n(r.promotionRate * 100)}%`])
  ))
  return 0
}

runCli(main, 'bench:gc: ')
