import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { BenchReport } from './harness.js'
import { SOURCES } from './latency.js'
import { n, ratio, table } from './markdown-table.js'
import { variantCases } from './report-variants.js'
import type { CaseResult, InterleavedFigures, Measurement, Ratios, ScenarioResult } from './scenario-types.js'
import { BENCH_SERVICE_ENV, TARGETS, type TargetName } from './target-specs.js'

// Results as Markdown (printed to stdout and written to latest.md; tables read fine in a
// terminal) and as JSON (every figure, for tooling and later comparison).

/** The count, and which statuses made it up: a 502 is a different story from a 503. */
function non2xx(m: Measurement): string {
  const codes = Object.entries(m.load.statusCodes).filter(([code]) => !code.startsWith('2'))
  return codes.length === 0 ? String(m.load.non2xx) : `${m.load.non2xx} (${codes.map(([code, count]) => `${code}: ${count}`).join(', ')})`
}

function callsPerRequest(m: Measurement): string {
  const requests = m.load.requests
  if (requests === 0) return '–'
  return SOURCES.map((s) => (m.upstreamCalls[s] / requests).toFixed(2)).join(' / ')
}

const MEASUREMENT_HEADER = ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'timeouts', 'non-2xx',
  'CPU %', 'CPU ms/req', 'RSS start → end (peak) MB', 'heap start → end MB', 'upstream calls/req (pub/rev/rec)', 'upstream sockets opened']

/** req/s, and the 2xx share of it when some answers were errors. */
function rps(m: Measurement): string {
  const figure = m.load.non2xx === 0 ? n(m.load.rps) : `${n(m.load.rps)} (2xx: ${n(m.load.okRps)})`
  const runs = m.runsOkRps
  return runs === undefined ? figure : `${figure} (median of ${runs.length}: ${Math.min(...runs)}–${Math.max(...runs)})`
}

/** Service CPU ms per response, steadier than req/s when the cores are shared; none without responses. */
export function cpuMsPerResponse(m: Measurement): number | undefined {
  return m.load.rps > 0 ? (m.service.cpuPercent * 10) / m.load.rps : undefined
}

function cpuPerRequest(m: Measurement): string {
  return cpuMsPerResponse(m)?.toFixed(3) ?? '–'
}

function measurementRow(label: string, m: Measurement): string[] {
  const { load, service } = m
  return [label, rps(m), n(load.latencyMs.p50), n(load.latencyMs.p90), n(load.latencyMs.p99), n(load.latencyMs.max),
    String(load.errors), String(load.timeouts), non2xx(m), n(service.cpuPercent), cpuPerRequest(m),
    `${n(service.rssStartMb, 1)} → ${n(service.rssEndMb, 1)} (${n(service.rssPeakMb, 1)})`,
    `${n(service.heapUsedStartMb, 1)} → ${n(service.heapUsedEndMb, 1)}`, callsPerRequest(m),
    String(SOURCES.reduce((sum, s) => sum + m.upstreamConnections[s], 0))]
}

function ratioLine(c: CaseResult): string {
  const parts = (Object.entries(c.ratios) as [TargetName | 'limit', Ratios][]).map(([against, r]) => {
    if (against === 'limit') return `**${ratio(r.rps)}** the latency-bound limit`
    const speed = `p50 ${ratio(r.p50Speedup)} / p99 ${ratio(r.p99Speedup)} as fast`
    const cpu = r.cpu === undefined || r.cpu === null ? '' : `, ${ratio(r.cpu)} its CPU per response`
    return `**${ratio(r.rps)}** ${against}'s 2xx/s (${speed}${cpu})`
  })
  return parts.length === 0 ? '' : `Ours vs: ${parts.join('; ')}.`
}

/** The case's interleaved comparisons: ours and each base side up at once, medians of the rounds. */
function interleavedTable(c: CaseResult): string {
  const figures = Object.entries(c.interleaved ?? {})
  if (figures.length === 0) return ''
  const first = figures[0]?.[1] as InterleavedFigures
  const rows = figures.map(([name, f]) => [
    f.base === 'ours' ? `ours with ${Object.entries(f.baseEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : TARGETS[f.base].label,
    String(f.oursMicros), String(f.baseMicros), `**${ratio(f.cpu)}**`, ratio(f.rps), ratio(f.p99Speedup), f.roundCpu.map((r) => r.toFixed(2)).join(', '), name
  ])
  return [
    '',
    `Interleaved: ours and each other side up at once, pinned to one CPU (the mock and the load generator to the other), the load ` +
    `switching between them every ${first.sliceS} s (ABBA, BAAB in every other round), ${first.rounds} rounds with fresh processes; ratios are ours ÷ theirs, medians of the rounds.`,
    '',
    table(['against', 'ours CPU µs/response', 'theirs', 'CPU ratio', '2xx/s ratio', 'p99: theirs ÷ ours', 'rounds (CPU ratio)', 'key'], rows)
  ].join('\n')
}

function singleCase(c: CaseResult): string {
  const rows = c.measurements.map((m) => measurementRow(m.target === 'ours' ? '**ours**' : TARGETS[m.target].label, m))
  const limit = c.latencyBoundRps === null ? 'none at 0 ms (CPU-bound)' : `${n(c.latencyBoundRps)} req/s`
  // Per response as well as in %: on the fanout loads the mock's and autocannon's core limits the
  // 2xx/s, and what each target costs them per request differs (request and response headers).
  const perResponse = (m: Measurement, percent: number): string =>
    m.load.rps > 0 ? ` (${n(Math.round((percent * 10_000) / m.load.rps))} µs per response)` : ''
  const helpers = c.measurements.map((m) =>
    `${m.target}: mock ${n(m.mockCpuPercent)}%${perResponse(m, m.mockCpuPercent)}, autocannon ${n(m.loadGeneratorCpuPercent)}%${perResponse(m, m.loadGeneratorCpuPercent)}, ` +
    `rest of the machine ${n(m.otherCpuPercent)}%`)
  return [
    table(MEASUREMENT_HEADER, rows),
    '',
    `(c) latency-bound limit (connections ÷ slowest upstream): ${limit}. ${ratioLine(c)}`,
    '',
    `CPU of the other processes on the same cores — ${helpers.join('; ')}.`,
    interleavedTable(c)
  ].join('\n')
}

function gridCases(cases: readonly CaseResult[]): string {
  // A target column only when a grid measured more than our service (`--target` named others).
  const named = cases.some((c) => c.measurements.length > 1)
  const header = [...(named ? ['target'] : []), 'connections', 'upstream latency', 'req/s', 'latency-bound limit', 'ours ÷ limit', 'p50 ms', 'p90 ms', 'p99 ms',
    'max ms', 'errors + timeouts', 'non-2xx', 'CPU %', 'RSS end MB', 'other CPU %']
  const rows = cases.flatMap((c) => c.measurements.map((m) => [...(named ? [m.target] : []), String(c.connections), c.latencyLabel, rps(m),
    n(c.latencyBoundRps), ratio(c.ratios.limit?.rps), n(m.load.latencyMs.p50), n(m.load.latencyMs.p90), n(m.load.latencyMs.p99),
    n(m.load.latencyMs.max), String(m.load.errors + m.load.timeouts), non2xx(m), n(m.service.cpuPercent),
    n(m.service.rssEndMb, 1), n(m.otherCpuPercent)]))
  return table(header, rows)
}

function scenarioSection(s: ScenarioResult): string {
  const how = s.amount === null ? `${s.durationS} s per measurement` : `${s.amount} requests`
  const quota = s.mockMaxRps === null ? '' : `; each mock upstream answers 429 beyond ${s.mockMaxRps} requests/s`
  const lines = [`### ${s.name}`, '', `${s.summary} (${how}, ${s.isbn} ISBN${quota}).`, '']
  const first = s.cases[0]
  if (s.cases.some((c) => c.variant !== undefined)) lines.push(variantCases(s.cases))
  else lines.push(s.cases.length === 1 && first !== undefined ? singleCase(first) : gridCases(s.cases))
  if (s.checks.length > 0) {
    lines.push('', table(['target (issue 3)', 'wanted', 'measured', 'result'],
      s.checks.map((c) => [c.name, c.target, c.actual, c.pass ? 'PASS' : '**FAIL**'])))
  }
  return lines.join('\n')
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine
  return [
    '# book-aggregator benchmark',
    '',
    `${m.date} · ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB · Node ${m.node} · ${m.os}`,
    '',
    `Service started from \`${report.serviceMode}\`${report.profiled ? ' **under --cpu-prof (figures distorted)**' : ''}; ` +
      `${report.warmupS} s warm-up before each measurement; whole run ${report.elapsedS} s. ` +
      'The mock upstreams, the target and autocannon share the same cores: req/s is a lower bound of what the ' +
      'service does on a machine of its own. ' +
      `Service environment besides the mock's URLs: ${Object.entries(BENCH_SERVICE_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} ` +
      '(one load-generating client must not meet the per-client rate limit). ' +
      'req/s counts every response, ratios and targets use 2xx/s; latency percentiles (1 ms resolution) are of ' +
      '2xx responses only (autocannon), and requests still in flight when a run ends are not counted.',
    '',
    ...report.scenarios.flatMap((s) => [scenarioSection(s), ''])
  ].join('\n')
}

/**
 * A full run writes `latest.*` (committed); a run of some scenarios writes `partial/<names>.*`
 * instead, so trying one scenario never replaces the committed full results with a fragment.
 */
export async function writeResults(report: BenchReport, dir: string, svg: string | null, partial: boolean): Promise<string[]> {
  const base = partial ? join(dir, 'partial', report.scenarios.map((s) => s.name).join('+')) : join(dir, 'latest')
  await mkdir(dirname(base), { recursive: true })
  const files = [`${base}.json`, `${base}.md`]
  await writeFile(files[0] as string, `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(files[1] as string, renderMarkdown(report))
  if (svg !== null) {
    files.push(partial ? `${base}.latency-vs-load.svg` : join(dir, 'latency-vs-load.svg'))
    await writeFile(files[2] as string, svg)
  }
  return files
}
