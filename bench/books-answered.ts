import { SOURCES, type Source } from './latency.js'

// Books answered whole, read from every response body: the figure of a scenario where the
// upstreams, not the service, set the pace (batch-provider). A partial BookView is still a
// 200, so 2xx/s would count a section settled `rate_limited` as throughput; only a 200 whose
// three sections are all `ok` is a book answered.

export type AnswerKind = 'complete' | 'partial' | 'failed'

interface BookViewSources {
  readonly sources?: Partial<Record<Source, { readonly status?: unknown }>>
}

/** `complete`: 200 with every section ok; `partial`: 200 with some section not ok; `failed`: any other answer. */
export function classifyAnswer(status: number, body: string): AnswerKind {
  return kindOf(status === 200 ? parseSources(body) : undefined)
}

/** `sources` of a 200's body; undefined for any other answer or one without them. */
function kindOf(sources: BookViewSources['sources']): AnswerKind {
  if (sources === undefined) return 'failed'
  return SOURCES.every((s) => sources[s]?.status === 'ok') ? 'complete' : 'partial'
}

function parseSources(body: string): BookViewSources['sources'] {
  try {
    const view = JSON.parse(body) as BookViewSources | null
    return typeof view?.sources === 'object' && view.sources !== null ? view.sources : undefined
  } catch {
    return undefined
  }
}

export interface BooksAnswered {
  /** 200 with all three sections ok, per second of the run. */
  readonly perSecond: number
  readonly complete: number
  readonly partial: number
  readonly failed: number
  /** The service's REQUEST_DEADLINE_MS the answers are held to. */
  readonly deadlineMs: number
  /** Answers of any kind back within the deadline, as seen by the client. */
  readonly withinDeadline: number
  readonly maxMs: number
  /**
   * What the sections that were not ok came to, per source (rate_limited, timeout…), in every
   * answer that was not a whole book and carried `sources` (a partial 200, a 502 or 504 problem).
   */
  readonly sectionsNotOk: Record<Source, Record<string, number>>
}

export class BooksTally {
  private complete = 0
  private partial = 0
  private failed = 0
  private withinDeadline = 0
  private maxMs = 0
  private readonly sectionsNotOk = Object.fromEntries(SOURCES.map((s) => [s, {}])) as Record<Source, Record<string, number>>

  constructor(private readonly deadlineMs: number) {}

  /** The load's onResponse hook; bound so it can be passed as is. */
  readonly record = (status: number, body: string, elapsedMs: number): void => {
    if (elapsedMs <= this.deadlineMs) this.withinDeadline++
    this.maxMs = Math.max(this.maxMs, elapsedMs)
    const sources = parseSources(body)
    const kind = status === 200 ? kindOf(sources) : 'failed'
    this[kind]++
    if (sources === undefined || kind === 'complete') return
    for (const s of SOURCES) {
      const sectionStatus = sources[s]?.status
      if (sectionStatus === 'ok') continue
      const key = typeof sectionStatus === 'string' ? sectionStatus : '(none)'
      this.sectionsNotOk[s][key] = (this.sectionsNotOk[s][key] ?? 0) + 1
    }
  }

  result(durationS: number): BooksAnswered {
    return {
      perSecond: durationS > 0 ? this.complete / durationS : 0,
      complete: this.complete,
      partial: this.partial,
      failed: this.failed,
      deadlineMs: this.deadlineMs,
      withinDeadline: this.withinDeadline,
      maxMs: Math.round(this.maxMs),
      sectionsNotOk: structuredClone(this.sectionsNotOk)
    }
  }
}

/** Share of all answers back within the deadline; undefined without answers (nothing to judge). */
export function withinDeadlineShare(books: BooksAnswered): number | undefined {
  const answers = books.complete + books.partial + books.failed
  return answers === 0 ? undefined : books.withinDeadline / answers
}

/** Books answered whole per second, `a`'s ÷ `b`'s; undefined when either was not counted or `b` answered none. */
export function booksRatio(a: { readonly books?: BooksAnswered } | undefined, b: { readonly books?: BooksAnswered } | undefined): number | undefined {
  const [top, bottom] = [a?.books?.perSecond, b?.books?.perSecond]
  return top === undefined || bottom === undefined || bottom <= 0 ? undefined : top / bottom
}
