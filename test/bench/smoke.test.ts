import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { runBench } from '../../bench/harness.js'
import { liveChildren, stopAll } from '../../bench/processes.js'
import { renderMarkdown } from '../../bench/report.js'
import { scenarioByName } from '../../bench/scenarios.js'

// Keeps the benchmark harness from rotting without making `npm test` a benchmark: one
// scenario, every target, ~1 s each, through the same runBench the CLI uses. The service runs
// from src/ through tsx because dist/ does not exist on a fresh clone.

describe('bench harness smoke test', () => {
  afterAll(async () => {
    await stopAll()
  })

  it('runs fanout end to end against every target and brings back real figures', async () => {
    const report = await runBench({
      // 10 connections: enough to exercise everything while leaving CPU to the other test files.
      scenarios: [{ ...scenarioByName('fanout'), connections: 10 }],
      serviceMode: 'tsx',
      durationS: 1,
      warmupS: 0.2,
      interleave: { rounds: 1, sliceS: 0.5, warmupS: 0.2 }
    })

    expect(liveChildren()).toBe(0)
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.machine.node).toBe(process.version)
    const [fanout] = report.scenarios
    expect(fanout?.name).toBe('fanout')
    const [only] = fanout?.cases ?? []
    expect(only?.latencyBoundRps).toBe(500) // 10 connections ÷ 20 ms
    expect(only?.measurements.map((m) => m.target)).toEqual(['ours', 'ceiling', 'naive', 'mercurius', 'minimal'])
    for (const m of only?.measurements ?? []) {
      expect(m.load.requests, m.target).toBeGreaterThan(0)
      expect(m.load.okRps, m.target).toBeGreaterThan(0)
      expect({ target: m.target, errors: m.load.errors, timeouts: m.load.timeouts, non2xx: m.load.non2xx })
        .toEqual({ target: m.target, errors: 0, timeouts: 0, non2xx: 0 })
      expect(m.load.latencyMs.p99).toBeGreaterThanOrEqual(m.load.latencyMs.p50)
      expect(m.service.rssStartMb, m.target).toBeGreaterThan(10)
      expect(m.service.cpuPercent, m.target).toBeGreaterThan(0)
      expect(m.service.heapUsedEndMb, m.target).toBeGreaterThan(0)
    }
    const ours = only?.measurements[0]
    // Every book request reached all three mock upstreams.
    expect(ours?.upstreamCalls.publisher).toBeGreaterThanOrEqual(ours?.load.requests ?? Infinity)
    expect(ours?.upstreamCalls.recommendations).toBeGreaterThanOrEqual(ours?.load.requests ?? Infinity)
    expect(Object.keys(only?.ratios ?? {}).sort()).toEqual(['ceiling', 'limit', 'mercurius', 'minimal', 'naive'])
    // CPU per response beside req/s: the comparison a team choosing a BFF makes (issue 17).
    expect(only?.ratios.mercurius?.cpu).toBeGreaterThan(0)
    expect(fanout?.checks.map((c) => c.name)).toHaveLength(5)
    // The issue-17 comparisons, both sides up at once: ours against the two BFFs, from real slices.
    expect(Object.keys(only?.interleaved ?? {})).toEqual(['mercurius', 'minimal'])
    for (const figures of Object.values(only?.interleaved ?? {})) {
      expect(figures.oursMicros).toBeGreaterThan(0)
      expect(figures.baseMicros).toBeGreaterThan(0)
      expect(figures.roundCpu).toHaveLength(1)
      expect(figures.rps).toBeGreaterThan(0)
    }
    expect(renderMarkdown(report)).toMatch(/\| \(d\) GraphQL BFF: Fastify \+ Mercurius \| \d+ \| \d+ \| \*\*[\d.]+×\*\* \|/)
    // What the mock and autocannon cost per response of each target, on the core they share.
    expect(renderMarkdown(report)).toMatch(/mercurius: mock [\d.]+% \(\d+ µs per response\), autocannon [\d.]+% \(\d+ µs per response\)/)
    // The load generator ran pinned during the comparisons; it must not stay on one CPU.
    expect(pinnedCpus()).toBeNull()
  }, 120_000)

  it('measures named targets in a scenario that by default measures only ours, and names them in the grid', async () => {
    const scaling = scenarioByName('scaling')
    const report = await runBench({
      scenarios: [{ ...scaling, grid: { connections: [5, 10], latencyMs: [5] } }],
      targets: ['ours', 'ceiling'],
      serviceMode: 'tsx',
      durationS: 0.5,
      warmupS: 0.1
    })

    expect(liveChildren()).toBe(0)
    expect(scaling.targets).toEqual(['ours'])
    for (const c of report.scenarios[0]?.cases ?? []) expect(c.measurements.map((m) => m.target)).toEqual(['ours', 'ceiling'])
    const markdown = renderMarkdown(report)
    expect(markdown).toMatch(/\| target \| connections \| upstream latency \|/)
    expect(markdown).toMatch(/\| ours \| 5 \| 5 ms \|/)
    expect(markdown).toMatch(/\| ceiling \| 10 \| 5 ms \|/)
  }, 30_000)

  it('measures the build in another checkout as ours when given its root (bench:ab\'s base)', async () => {
    // A "checkout" whose service answers every request itself: if the harness ran ours from
    // this repository instead, the mock upstreams would see calls.
    const root = await mkdtemp(join(tmpdir(), 'bench-service-root-'))
    try {
      await mkdir(join(root, 'src'))
      // The harness starts ours with the flags of the checkout's npm start.
      await writeFile(join(root, 'package.json'), JSON.stringify({ scripts: { start: 'node --max-semi-space-size=16 dist/server.js' } }))
      await writeFile(join(root, 'src/server.ts'), [
        "import { createServer } from 'node:http'",
        "createServer((_req, res) => res.end('{}')).listen(Number(process.env.PORT), process.env.HOST)",
        "process.on('SIGTERM', () => process.exit(0))"
      ].join('\n'))
      const report = await runBench({
        scenarios: [{ ...scenarioByName('fanout'), connections: 5 }],
        targets: ['ours'],
        serviceMode: 'tsx',
        serviceRoot: root,
        durationS: 0.5,
        warmupS: 0.1
      })
      const [ours] = report.scenarios[0]?.cases[0]?.measurements ?? []
      expect(ours?.load.requests).toBeGreaterThan(0)
      expect(ours?.upstreamCalls).toEqual({ publisher: 0, reviews: 0, recommendations: 0 })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  }, 30_000)
})

/** How many CPUs this process may run on, when that is fewer than the machine has (taskset), else null. */
function pinnedCpus(): number | null {
  let list: string
  try {
    list = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(': ')[1] ?? ''
  } catch {
    return null // no taskset: nothing was pinned either
  }
  // "0,1", "0-1" or "0": count the CPUs in the list.
  const count = list.split(',').reduce((sum, part) => {
    const [first, last = first] = part.split('-').map(Number)
    return sum + (last as number) - (first as number) + 1
  }, 0)
  return count < cpus().length ? count : null
}
