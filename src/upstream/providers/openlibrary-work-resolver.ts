import { LRUCache } from 'lru-cache'
import { normalizeIsbn } from '../../domain/isbn.js'
import type { TraceContext } from '../../tracing/trace-context.js'
import type { ProviderClient } from '../provider-client.js'
import { asRecord } from './json-reading.js'
import { isNotFoundDocument, openLibraryWorkKey } from './openlibrary-mapping.js'
import { openLibraryEditionPaths, openLibraryWorkPath } from './openlibrary-requests.js'
import { jsonOf, stepFailed, stepOk, type Step } from './provider-results.js'

/** An ISBN's edition and the work it belongs to (where descriptions, ratings and subjects live). */
export interface ResolvedWork {
  readonly edition: unknown
  readonly work: unknown
  readonly workKey: string | undefined
}

export interface WorkResolverOptions {
  readonly maxEntries: number
  readonly ttlMs: number
}

const DEFAULTS: WorkResolverOptions = { maxEntries: 10_000, ttlMs: 3_600_000 }
const CHAIN_START_SHARE = 0.25

/**
 * ISBN → edition → work, once per ISBN for all three sections. Concurrent sections share the
 * requests themselves (the host coalesces equal paths, the 302 hop included), and a resolved
 * pair is kept, so a section asked later (its own cache expired sooner) costs no lookup again.
 * Failures are not kept: the next caller tries again.
 */
export class OpenLibraryWorkResolver {
  private readonly resolved: LRUCache<string, ResolvedWork>

  constructor(private readonly client: ProviderClient, options: WorkResolverOptions = DEFAULTS) {
    this.resolved = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs })
  }

  async resolve(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<ResolvedWork>> {
    const known = this.resolved.get(isbn13)
    if (known !== undefined) return stepOk(known)
    const edition = await this.edition(isbn13, signal, deadlineAt, trace)
    if (!edition.ok) return edition
    const workKey = openLibraryWorkKey(edition.value)
    let work: unknown
    if (workKey !== undefined) {
      const reply = await this.client.get(openLibraryWorkPath(workKey), signal, deadlineAt, trace)
      // A missing work costs its description and subjects, not the edition.
      if (reply.status !== 'not_found') {
        const body = jsonOf(reply, this.client.name)
        if (!body.ok) return body
        work = body.value
      }
    }
    const value: ResolvedWork = { edition: edition.value, work, workKey }
    this.resolved.set(isbn13, value)
    return stepOk(value)
  }

  /**
   * A book can be listed under one ISBN form only: the ISBN-13 first, then the ISBN-10. The
   * first lookup starts a chain of about six requests, so it waits for a rate slot only in the
   * first quarter of the time left: a book that cannot start by then could not finish anyway,
   * and would only take the slots of books already under way.
   */
  private async edition(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<unknown>> {
    const isbn = normalizeIsbn(isbn13)
    const isbn10 = isbn.ok ? isbn.value.isbn10 : null
    const now = performance.now()
    let startBy: number | undefined = now + (deadlineAt - now) * CHAIN_START_SHARE
    for (const path of openLibraryEditionPaths(isbn13, isbn10)) {
      const reply = await this.client.get(path, signal, deadlineAt, trace, startBy)
      startBy = undefined
      if (reply.status === 'not_found') continue
      const body = jsonOf(reply, this.client.name)
      if (!body.ok) return body
      const record = asRecord(body.value)
      if (record !== undefined && isNotFoundDocument(record)) continue
      return body
    }
    return stepFailed({ status: 'not_found', detail: `Open Library has no edition for ISBN ${isbn13}` })
  }
}
