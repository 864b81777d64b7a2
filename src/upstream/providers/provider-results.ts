// Between a provider's replies and our FetchResults: adapters chain several requests per
// section, and each step either yields its JSON or ends the section with the reason why.
import type { FetchResult } from '../../domain/outcome.js'
import type { ProviderReply } from '../provider-client.js'
import type { MappingResult } from './mapping-result.js'

/** `batched`: the step's reply came from a batch call of that many keys (the section reports it). */
export type Step<T> = { readonly ok: true; readonly value: T; readonly batched?: number } | { readonly ok: false; readonly result: FetchResult }

export function stepOk<T>(value: T, batched?: number): Step<T> {
  return batched === undefined ? { ok: true, value } : { ok: true, value, batched }
}

export function stepFailed(result: FetchResult): Step<never> {
  return { ok: false, result }
}

/** A reply's JSON, or the reply itself as the section's result (a redirect left unfollowed is an error). */
export function jsonOf(reply: ProviderReply, name: string): Step<unknown> {
  if (reply.status === 'json') return stepOk(reply.value, reply.batched)
  if (reply.status === 'redirect') return stepFailed({ status: 'error', detail: `${name} answered with a redirect where none was expected` })
  return stepFailed(reply)
}

/** A mapping's verdict as the section's result. */
export function fromMapping<T>(mapping: MappingResult<T>): FetchResult {
  return mapping.status === 'ok' ? { status: 'ok', data: mapping.data } : mapping
}

/** A reviews section from a provider that has ratings but no review texts: the section says so. */
export function withoutReviewTexts(result: FetchResult): FetchResult {
  return result.status === 'ok' ? { ...result, data: { ...(result.data as object), textsAvailable: false } } : result
}

/** A section's result marked with the size of the batch call its lookup rode on, if it did. */
export function markBatched(result: FetchResult, batched: number | undefined): FetchResult {
  return batched === undefined ? result : { ...result, batched }
}
