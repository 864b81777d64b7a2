import { SOURCES, type Source } from './latency.js'

// What the soak learns from the response bodies: every `GET /books/{isbn}` answer that carries
// `sources` (a BookView, or the 404/502/504 problem) tells what each upstream call came to —
// `sources.<name>.status` (ok, timeout, error, circuit_open, overloaded…), `cache` (hit, stale,
// miss) and the policy marks. autocannon hands every body to the request's onResponse hook.

/** The statuses the contract allows for `GET /books/{isbn}` under load (openapi.yaml); 500 is a defect. */
export const CONTRACT_STATUSES: readonly number[] = [200, 404, 429, 502, 503, 504]

const MAX_DETAILS_PER_SOURCE = 16
const MAX_SAMPLES = 5

export interface SourceTally {
  /** `sources.<name>.status` → responses. */
  readonly status: Record<string, number>
  /** `sources.<name>.cache` → responses ('none' when the field is absent). */
  readonly cache: Record<string, number>
  readonly retried: number
  readonly hedged: number
  readonly coalesced: number
  /** `sources.<name>.detail` of failed calls → responses (the most frequent kinds). */
  readonly details: Record<string, number>
}

export interface TallyResult {
  /** HTTP status → responses, as the hook saw them. */
  readonly statuses: Record<string, number>
  readonly bodies: number
  /** 200 with `complete: false`: a partial BookView. */
  readonly partial: number
  /** Bodies with no readable `sources` (429/503 problems have none; a 500 or garbage neither). */
  readonly withoutSources: number
  readonly sources: Record<Source, SourceTally>
  /** A few responses whose status is outside the contract, for the report. */
  readonly unexpected: readonly { readonly status: number; readonly body: string }[]
}

type MutableSourceTally = { -readonly [K in keyof SourceTally]: SourceTally[K] }

function emptySource(): MutableSourceTally {
  return { status: {}, cache: {}, retried: 0, hedged: 0, coalesced: 0, details: {} }
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1
}

export class ResponseTally {
  private readonly statuses: Record<string, number> = {}
  private bodies = 0
  private partial = 0
  private withoutSources = 0
  private readonly sources = Object.fromEntries(SOURCES.map((s) => [s, emptySource()])) as Record<Source, MutableSourceTally>
  private readonly unexpected: { status: number; body: string }[] = []

  /** autocannon's onResponse hook; bound so it can be passed as is. */
  readonly record = (status: number, body: string): void => {
    bump(this.statuses, String(status))
    this.bodies++
    if (!CONTRACT_STATUSES.includes(status) && this.unexpected.length < MAX_SAMPLES) {
      this.unexpected.push({ status, body: body.slice(0, 600) })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      this.withoutSources++
      return
    }
    const view = parsed as { sources?: unknown; complete?: unknown } | null
    const sources = view?.sources
    if (typeof sources !== 'object' || sources === null) {
      this.withoutSources++
      return
    }
    if (status === 200 && view?.complete === false) this.partial++
    for (const name of SOURCES) {
      const report = (sources as Record<string, unknown>)[name] as Record<string, unknown> | undefined
      if (report === undefined) continue
      const tally = this.sources[name]
      const sourceStatus = typeof report.status === 'string' ? report.status : '(none)'
      bump(tally.status, sourceStatus)
      bump(tally.cache, typeof report.cache === 'string' ? report.cache : 'none')
      if (report.retried === true) tally.retried++
      if (report.hedged === true) tally.hedged++
      if (report.coalesced === true) tally.coalesced++
      if (sourceStatus !== 'ok' && sourceStatus !== 'not_found' && typeof report.detail === 'string') {
        const known = report.detail in tally.details
        if (known || Object.keys(tally.details).length < MAX_DETAILS_PER_SOURCE) bump(tally.details, report.detail)
        else bump(tally.details, '(other details)')
      }
    }
  }

  result(): TallyResult {
    return {
      statuses: { ...this.statuses },
      bodies: this.bodies,
      partial: this.partial,
      withoutSources: this.withoutSources,
      sources: structuredClone(this.sources),
      unexpected: [...this.unexpected]
    }
  }
}
