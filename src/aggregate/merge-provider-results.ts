import type { FetchResult, SourceStatus } from '../domain/outcome.js'
import type { ProviderName } from '../domain/providers.js'
import type { SourceName } from '../domain/sources.js'

export interface ProviderResult {
  readonly provider: ProviderName
  readonly result: FetchResult
  /** Still running when the section settled. */
  readonly late?: boolean
}

/**
 * Fields one provider's section may take from another's when it lacks them (Calibre-style:
 * the first provider defines the book, the others enrich it). Identity and the date stay the
 * first provider's: a title or date from another edition would describe another book.
 * Ratings stay together with their count; review texts can come from elsewhere.
 */
const FILLABLE: Readonly<Record<SourceName, readonly string[]>> = {
  publisher: ['subtitle', 'authors', 'pageCount', 'language', 'description', 'coverUrl'],
  reviews: ['items'],
  recommendations: []
}

// When nobody is ok, the section reports the best of what its providers said.
const RANK: readonly SourceStatus[] = ['ok', 'not_found', 'rate_limited', 'overloaded', 'circuit_open', 'timeout', 'invalid_response', 'error']

/**
 * The section from its providers' results, in list order: the first `ok` answers, its missing
 * fields filled from the later `ok` ones (`filledFrom` says which field came from whom); with
 * none `ok`, the best status, and every provider's reason in the detail.
 */
export function mergeProviderResults(section: SourceName, results: readonly ProviderResult[]): FetchResult {
  const oks = results.filter((r) => !r.late && r.result.status === 'ok')
  const [primary, ...others] = oks
  if (primary !== undefined && primary.result.status === 'ok') {
    if (results.length === 1) return { ...primary.result, provider: primary.provider }
    const data = { ...(primary.result.data as Record<string, unknown>) }
    const filledFrom: Record<string, ProviderName> = {}
    for (const field of FILLABLE[section]) {
      if (!isMissing(data[field])) continue
      const donor = others.find((other) => other.result.status === 'ok' && !isMissing((other.result.data as Record<string, unknown>)[field]))
      if (donor === undefined || donor.result.status !== 'ok') continue
      data[field] = (donor.result.data as Record<string, unknown>)[field]
      filledFrom[field] = donor.provider
    }
    // Texts filled in from elsewhere: the answering provider's "I have no texts" no longer describes the section.
    if (filledFrom.items !== undefined) delete data.textsAvailable
    const donors = new Set(Object.values(filledFrom))
    const used = [primary, ...others.filter((other) => donors.has(other.provider))]
    const freshFor = used.map((u) => u.result.freshForMs).filter((ms): ms is number => ms !== undefined)
    const { json: _json, freshForMs: _fresh, ...rest } = primary.result
    return {
      ...rest,
      data,
      provider: primary.provider,
      ...(donors.size === 0 ? {} : { filledFrom }),
      ...(freshFor.length === 0 ? {} : { freshForMs: Math.min(...freshFor) })
    }
  }
  const statusOf = (r: ProviderResult): SourceStatus => (r.late ? 'timeout' : r.result.status)
  const best = [...results].sort((a, b) => RANK.indexOf(statusOf(a)) - RANK.indexOf(statusOf(b)))[0] as ProviderResult
  if (results.length === 1) return { ...best.result, provider: best.provider }
  const detail = results.map((r) => `${r.provider}: ${r.late ? 'did not answer in time' : reasonOf(r.result)}`).join('; ')
  if (best.late) return { status: 'timeout', detail, provider: best.provider }
  // `ok` was handled above: whatever is best here has a detail to replace.
  return { ...(best.result as Exclude<FetchResult, { status: 'ok' }>), detail, provider: best.provider }
}

/**
 * Whether the results settled so far already decide the section: the first provider in list
 * order that is `ok` has answered, everyone before it has settled, and it lacks nothing the
 * others could fill. Waiting for the rest would then only add their latency.
 */
export function isDecided(section: SourceName, settled: ReadonlyArray<ProviderResult | undefined>): boolean {
  for (const entry of settled) {
    if (entry === undefined) return false
    if (entry.result.status !== 'ok') continue
    const data = entry.result.data as Record<string, unknown>
    return FILLABLE[section].every((field) => !isMissing(data[field]))
  }
  return false
}

function reasonOf(result: FetchResult): string {
  return 'detail' in result && typeof result.detail === 'string' ? result.detail : result.status
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
}
