import type { FetchResult } from '../domain/outcome.js'
import type { ProviderName } from '../domain/providers.js'
import type { SourceName } from '../domain/sources.js'
import type { TraceContext } from '../tracing/trace-context.js'
import type { BookSource } from './call-source.js'
import { isDecided, mergeProviderResults, type ProviderResult } from './merge-provider-results.js'

export interface SectionProvider {
  readonly provider: ProviderName
  readonly source: BookSource
}

// Settle this long before the caller's deadline, so what did arrive beats the section's timeout.
const DEADLINE_MARGIN_MS = 10
// Why a provider still running is stopped: too slow for the section's deadline (its breaker
// counts that), or simply not needed any more (says nothing about the provider).
const TOO_LATE = new DOMException('the section settled at its deadline without this provider', 'TimeoutError')
const NOT_NEEDED = new DOMException('the section was decided by another provider', 'AbortError')

/**
 * One section served by an ordered list of providers. All are asked at once; once every one
 * has settled (or just before the section's own deadline, or as soon as the answer cannot
 * change any more: see isDecided) the first in list order that is `ok` answers, with its
 * missing fields filled from the other `ok` answers (see mergeProviderResults). A provider
 * that fails or is throttled costs only its own part; one still running is stopped.
 * A single provider is passed through, with its name as provenance.
 */
export class MergedSection implements BookSource {
  constructor(private readonly section: SourceName, private readonly providers: readonly SectionProvider[]) {
    if (providers.length === 0) throw new RangeError(`no provider for ${section}`)
  }

  peekFresh(isbn13: string): FetchResult | undefined {
    const fresh: ProviderResult[] = []
    for (const { provider, source } of this.providers) {
      const result = source.peekFresh?.(isbn13)
      // Everyone fresh, or the whole section is fetched: a merge must see all its providers.
      if (result === undefined) return undefined
      fresh.push({ provider, result })
    }
    return mergeProviderResults(this.section, fresh)
  }

  fetchBook(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    const [only] = this.providers
    if (this.providers.length === 1 && only !== undefined) {
      return only.source.fetchBook(isbn13, signal, deadlineAt, trace).then((result) => ({ ...result, provider: only.provider }))
    }
    return new Promise<FetchResult>((resolve) => {
      // Our own signal: calls still running when the section settles must stop, not linger.
      const controller = new AbortController()
      const cancel = (): void => controller.abort(signal.reason)
      signal.addEventListener('abort', cancel, { once: true })
      const settledResults: Array<ProviderResult | undefined> = this.providers.map(() => undefined)
      let open = this.providers.length
      let done = false
      const finish = (reason: DOMException): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal.removeEventListener('abort', cancel)
        controller.abort(reason)
        resolve(mergeProviderResults(this.section, settledResults.map((settled, i) => settled ?? lateResult(this.providers[i] as SectionProvider))))
      }
      const timer = setTimeout(finish, Math.max(0, deadlineAt - performance.now() - DEADLINE_MARGIN_MS), TOO_LATE)
      this.providers.forEach(({ provider, source }, i) => {
        let call: Promise<FetchResult>
        try {
          call = source.fetchBook(isbn13, controller.signal, deadlineAt, trace)
        } catch {
          call = Promise.reject(new Error('the provider threw'))
        }
        call.then(
          (result) => { settledResults[i] = { provider, result } },
          () => { settledResults[i] = { provider, result: { status: 'error', detail: `${provider} failed unexpectedly` } } }
        ).finally(() => {
          if (--open === 0 || isDecided(this.section, settledResults)) finish(NOT_NEEDED)
        })
      })
    })
  }
}

function lateResult({ provider }: SectionProvider): ProviderResult {
  // Not a FetchResult status of its own: the section's report calls it a timeout of this provider.
  return { provider, result: { status: 'error', detail: `${provider} did not answer in time` }, late: true }
}
