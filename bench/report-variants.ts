import { booksRatio, withinDeadlineShare, type BooksAnswered } from './books-answered.js'
import { SOURCES, type Source } from './latency.js'
import { n, ratio, table } from './markdown-table.js'
import type { CaseResult, Measurement } from './scenario-types.js'

// A scenario measured once per variant of the service's environment (batch-provider: batching
// on and off): one row per variant with the settings it differs in, books answered whole beside
// 2xx/s (a partial answer is a 200 too), what the upstreams were asked, and the first variant
// against each other one.

const env = (entries: readonly [string, string][]): string => entries.map(([k, v]) => `${k}=${v}`).join(' ')
const perSource = (count: (s: Source) => string): string => SOURCES.map(count).join(' / ')

/** The settings every case shares, and each case's own. */
function splitEnv(cases: readonly CaseResult[]): { common: [string, string][]; own: [string, string][][] } {
  const [first] = cases
  const shared = (k: string, v: string): boolean => cases.every((c) => c.serviceEnv[k] === v)
  const common = Object.entries(first?.serviceEnv ?? {}).filter(([k, v]) => shared(k, v))
  const own = cases.map((c) => Object.entries(c.serviceEnv).filter(([k, v]) => !shared(k, v)))
  return { common, own }
}

/** Whole / partial / failed, and the statuses of the failed: a 502 (every section failed) is not a 503. */
function answers(m: Measurement): string {
  const { books } = m
  if (books === undefined) return '–'
  const codes = Object.entries(m.load.statusCodes).filter(([code]) => code !== '200')
  const statuses = codes.length === 0 ? '' : ` (${codes.map(([code, count]) => `${code}: ${count}`).join(', ')})`
  return `${books.complete} / ${books.partial} / ${books.failed}${statuses}`
}

function withinDeadline(books: BooksAnswered | undefined): string {
  const share = books === undefined ? undefined : withinDeadlineShare(books)
  return books === undefined || share === undefined ? '–' : `${n(share * 100, 1)}% of ${books.deadlineMs} ms`
}

/** ISBNs the mock answered per call it counted: above 1 only when calls were batched. */
function isbnsPerCall(m: Measurement): string {
  return perSource((s) => (m.upstreamCalls[s] === 0 ? '–' : n(m.upstreamBooksServed[s] / m.upstreamCalls[s], 1)))
}

/** What kept the other answers from being whole books: per source, its sections that were not ok. */
function notOkLine(label: string, books: BooksAnswered | undefined): string | undefined {
  if (books === undefined) return undefined
  const parts = SOURCES.flatMap((s) => {
    const statuses = Object.entries(books.sectionsNotOk[s]).sort(([, a], [, b]) => b - a)
    return statuses.length === 0 ? [] : [`${s} ${statuses.map(([status, count]) => `${status} ${count}`).join(', ')}`]
  })
  return parts.length === 0 ? undefined : `${label}: sections not ok in the answers that were not whole books — ${parts.join('; ')}.`
}

export function variantCases(cases: readonly CaseResult[]): string {
  const named = cases.some((c) => c.measurements.length > 1)
  const { common, own } = splitEnv(cases)
  const header = ['variant', ...(named ? ['target'] : []), 'service env', 'books/s (whole)', 'answers whole / partial / failed',
    'within deadline', '2xx/s', 'p50 ms', 'p99 ms', 'max ms', 'upstream calls (pub/rev/rec)', 'ISBNs per call', 'upstream 429s', 'CPU %']
  const rows = cases.flatMap((c, i) => c.measurements.map((m) => [
    c.variant ?? c.label, ...(named ? [m.target] : []), env(own[i] ?? []), n(m.books?.perSecond, 1), answers(m),
    withinDeadline(m.books), n(m.load.okRps), n(m.load.latencyMs.p50), n(m.load.latencyMs.p99),
    n(m.books?.maxMs ?? m.load.latencyMs.max), perSource((s) => String(m.upstreamCalls[s])), isbnsPerCall(m),
    perSource((s) => String(m.upstreamRejected429[s])), n(m.service.cpuPercent)
  ]))
  const ours = cases.map((c) => c.measurements.find((m) => m.target === 'ours'))
  const [first, ...others] = cases
  const ratios = others.map((c, i) => {
    const rps = (ours[0]?.load.okRps ?? 0) / (ours[i + 1]?.load.okRps ?? 0)
    return `${first?.variant} ÷ ${c.variant}: **${ratio(booksRatio(ours[0], ours[i + 1]))}** books/s whole (2xx/s: ${ratio(Number.isFinite(rps) ? rps : null)})`
  })
  return [
    table(header, rows),
    '',
    `Service environment of every variant: ${env(common) || '(defaults)'}. p50/p99 are of 2xx answers (autocannon); ` +
      'max and within-deadline are of every answer, timed from its write. Ours: ' + `${ratios.join('; ')}.`,
    ...cases.flatMap((c, i) => {
      const line = notOkLine(c.variant ?? c.label, ours[i]?.books)
      return line === undefined ? [] : ['', line]
    })
  ].join('\n')
}
