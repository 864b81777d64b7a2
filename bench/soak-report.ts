import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describeFault, FAULT_OUTCOMES } from './faults.js'
import { describeLatencies, SOURCES } from './latency.js'
import type { SoakResult } from './soak-run.js'

// The soak's figures as Markdown (printed, and written to soak-latest.md) and JSON.

const SOURCE_STATUSES = ['ok', 'not_found', 'timeout', 'error', 'invalid_response', 'circuit_open', 'overloaded', 'skipped'] as const
const CACHE_STATES = ['hit', 'stale', 'miss', 'none'] as const

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`
}

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n')
}

const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '–')
const withPct = (part: number, whole: number): string => (part === 0 ? '0' : `${part} (${pct(part, whole)})`)

function statusTable(r: SoakResult): string {
  const codes = Object.entries(r.load.statusCodes).sort(([a], [b]) => Number(a) - Number(b))
  const rows = codes.map(([code, n]) => [code, n, pct(n, r.load.requests)])
  rows.push(['connection errors', r.load.errors, pct(r.load.errors, r.load.requests)])
  rows.push(['timeouts (10 s)', r.load.timeouts, pct(r.load.timeouts, r.load.requests)])
  return table(['HTTP status', 'responses', 'share'], rows)
}

function sourceTable(r: SoakResult): string {
  const rows = SOURCES.map((s) => {
    const t = r.responses.sources[s]
    const total = Object.values(t.status).reduce((a, b) => a + b, 0)
    const others = Object.entries(t.status).filter(([k]) => !(SOURCE_STATUSES as readonly string[]).includes(k))
    return [s, total,
      ...SOURCE_STATUSES.filter((k) => k !== 'skipped').map((k) => withPct(t.status[k] ?? 0, total)),
      others.length === 0 ? '–' : others.map(([k, n]) => `${k} ${n}`).join(', '),
      CACHE_STATES.map((c) => `${c} ${t.cache[c] ?? 0}`).join(' / '),
      `${t.retried} / ${t.hedged} / ${t.coalesced}`]
  })
  return table(['source', 'reports', ...SOURCE_STATUSES.filter((k) => k !== 'skipped'), 'other', 'cache hit / stale / miss / none',
    'retried / hedged / coalesced'], rows)
}

function detailLines(r: SoakResult): string {
  return SOURCES.map((s) => {
    const details = Object.entries(r.responses.sources[s].details).sort(([, a], [, b]) => b - a)
    return `- ${s}: ${details.length === 0 ? 'none' : details.map(([d, n]) => `“${d}” ×${n}`).join('; ')}`
  }).join('\n')
}

function upstreamTable(r: SoakResult): string {
  const rows = SOURCES.map((s) => {
    const u = r.upstreams[s]
    return [s, describeFault(r.settings.faults[s]), u.calls, ...FAULT_OUTCOMES.map((o) => withPct(u.outcomes[o], u.calls)), u.abandoned,
      u.hangingAtEnd, u.maxInFlight]
  })
  return table(['upstream', 'faults', 'calls', ...FAULT_OUTCOMES, 'abandoned by the service', 'hangs held at end', 'max in flight'], rows)
}

function socketTable(r: SoakResult): string {
  const rows = SOURCES.map((s) => {
    const k = r.sockets[s]
    const states = Object.entries(k.endByState).map(([state, n]) => `${state} ${n}`).join(', ') || '–'
    return [s, k.bound, k.peak, k.mockPeak, k.end, k.mockEnd, states, k.neverUsedEnd, k.closeWaitPeak]
  })
  return table(['upstream', 'pool bound', 'peak (service /proc)', 'peak (mock)', 'end (service)', 'end (mock)', 'end by TCP state',
    'open at end, never carried a request', 'CLOSE_WAIT peak'], rows)
}

function breakdownTable(r: SoakResult): string {
  const { breakdownStart: a, breakdownEnd: b } = r.memory
  if (a === null || b === null) return 'No breakdown: the heap probe did not answer.'
  const keys: [keyof typeof a, string][] = [['rssMb', 'RSS (probe)'], ['heapTotalMb', 'V8 heap committed'], ['newSpaceMb', '  new space (young generation)'],
    ['oldSpaceMb', '  old space'], ['otherSpacesMb', '  code, large-object and other spaces'], ['externalMb', 'external (off-heap)'], ['arrayBuffersMb', '  of which ArrayBuffers']]
  return table(['after GC, MB', 'start', 'end', 'end − start'], keys.map(([k, label]) => [label, a[k], b[k], (b[k] - a[k]).toFixed(1)]))
}

function timelineLine(r: SoakResult): string {
  const every = Math.max(1, Math.round(r.timeline.length / 12))
  const points = r.timeline.filter((_, i) => i % every === 0 || i === r.timeline.length - 1)
  return points.map((p) => `${p.tS.toFixed(0)} s: ${p.rssMb} MB, ${SOURCES.map((s) => p.sockets[s]).join('/')}`).join(' · ')
}

export function renderSoak(r: SoakResult): string {
  const m = r.machine
  const env = Object.entries(r.settings.serviceEnv).map(([k, v]) => `${k}=${v}`).join(' ')
  const logLevels = Object.entries(r.serviceLog.levels).map(([level, n]) => `${level}: ${n}`).join(', ') || 'none'
  const messages = Object.entries(r.serviceLog.messages).sort(([, a], [, b]) => b - a)
  return [
    '# book-aggregator soak',
    '',
    `${m.date} · ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB · Node ${m.node} · ${m.os}`,
    '',
    `${r.settings.durationS} s at ${r.settings.connections} connections after a ${r.settings.warmupS} s warm-up (whole run ${r.elapsedS} s); ` +
      `service from \`${r.settings.serviceMode}\` with NODE_ENV=production ${env}. Upstream latency ${describeLatencies(r.settings.latency)}; ` +
      `${r.settings.hotPercent}% of requests for ${r.settings.hotSetSize} hot ISBNs, the rest fresh random ISBNs. ` +
      'The mock, the service and autocannon share the same cores.',
    '',
    `**Result: ${r.pass ? 'PASS' : 'FAIL'}**`,
    '',
    table(['check', 'wanted', 'measured', 'result'], r.checks.map((c) => [c.name, c.wanted, c.measured, c.pass ? 'PASS' : '**FAIL**'])),
    '',
    '## Responses',
    '',
    `${r.load.requests} responses in ${r.load.durationS} s (${Math.round(r.load.rps)} req/s; CPU, % of one core: service ` +
      `${r.cpuPercent.service}, mock ${r.cpuPercent.mock}, autocannon ${r.cpuPercent.loadGenerator}); latency of every response: ` +
      `p50 ${r.load.latencyMs.p50} ms, p90 ${r.load.latencyMs.p90} ms, p99 ${r.load.latencyMs.p99} ms, max ${r.load.latencyMs.max} ms. ` +
      `${r.responses.partial} of the 200s were partial (complete: false). Warm-up statuses: ` +
      `${Object.entries(r.warmupStatuses).map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'}.`,
    '',
    statusTable(r),
    ...(r.responses.unexpected.length === 0 ? [] : ['', 'Responses outside the contract (first few):', '',
      ...r.responses.unexpected.map((u) => `- ${u.status}: \`${u.body.replace(/`/g, "'")}\``)]),
    '',
    '## What each source came to (`sources.<name>` of the response bodies)',
    '',
    sourceTable(r),
    '',
    'Failure details:',
    '',
    detailLines(r),
    '',
    '## What the mock upstreams did (measured run)',
    '',
    upstreamTable(r),
    '',
    '## Memory',
    '',
    table(['', 'start (after warm-up)', 'end', 'end ÷ start', 'peak'], [
      ['RSS MB', r.memory.rssStartMb, r.memory.rssEndMb, (r.memory.rssEndMb / r.memory.rssStartMb).toFixed(2), r.memory.rssPeakMb],
      ['heap used MB (after GC)', r.memory.heapStartMb ?? '–', r.memory.heapEndMb ?? '–',
        r.memory.heapStartMb && r.memory.heapEndMb ? (r.memory.heapEndMb / r.memory.heapStartMb).toFixed(2) : '–', '–']
    ]),
    '',
    breakdownTable(r),
    '',
    `RSS and sockets (publisher/reviews/recommendations) during the run: ${timelineLine(r) || '–'}`,
    '',
    '## Upstream sockets of the service',
    '',
    socketTable(r),
    '',
    '## Service log',
    '',
    `Lines by level: ${logLevels}. Exit on SIGTERM: ${r.serviceExit}.`,
    ...(messages.length === 0 ? [] : ['', ...messages.map(([msg, n]) => `- ${msg} ×${n}`)]),
    ''
  ].join('\n')
}

/** `soak-latest.*` for a run with default settings, `partial/soak.*` (git-ignored) otherwise. */
export async function writeSoakResults(r: SoakResult, dir: string, partial: boolean): Promise<string[]> {
  const base = partial ? join(dir, 'partial', 'soak') : join(dir, 'soak-latest')
  await mkdir(partial ? join(dir, 'partial') : dir, { recursive: true })
  const files = [`${base}.json`, `${base}.md`]
  await writeFile(files[0] as string, `${JSON.stringify(r, null, 2)}\n`)
  await writeFile(files[1] as string, renderSoak(r))
  return files
}
