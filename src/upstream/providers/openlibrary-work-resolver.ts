import { LRUCache } from 'lru-cache'
import { normalizeIsbn } from '../../domain/isbn.js'
import type { TraceContext } from '../../tracing/trace-context.js'
import type { BatchLoad, ProviderClient } from '../provider-client.js'
import { asArray, asRecord, readString } from './json-reading.js'
import { isNotFoundDocument, openLibraryWorkKey } from './openlibrary-mapping.js'
import { openLibraryBibkey, openLibraryEditionPaths, openLibraryWorkPath } from './openlibrary-requests.js'
import { jsonOf, stepFailed, stepOk, type Step } from './provider-results.js'

/** An ISBN's edition and the work it belongs to (where descriptions, ratings and subjects live). */
export interface ResolvedWork {
  readonly edition: unknown
  readonly work: unknown
  readonly workKey: string | undefined
  /** Resolved by the `/api/books` batch entry (editions carry author keys only); undefined = ask per author. */
  readonly authorNames?: readonly string[]
  /** The ISBN was found through a batch call of this many ISBNs. */
  readonly batched?: number
}

interface FoundEdition {
  readonly edition: unknown
  readonly authorNames?: readonly string[]
  readonly batched?: number
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

  /** `booksApi`: ISBNs are first looked up in batches through `/api/books` (see `batchedEdition`). */
  constructor(private readonly client: ProviderClient, options: WorkResolverOptions = DEFAULTS, private readonly booksApi?: BatchLoad) {
    this.resolved = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs })
  }

  async resolve(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<ResolvedWork>> {
    const known = this.resolved.get(isbn13)
    if (known !== undefined) return stepOk(known)
    const found = await (this.booksApi === undefined ? this.edition(isbn13, signal, deadlineAt, trace) : this.batchedEdition(this.booksApi, isbn13, signal, deadlineAt, trace))
    if (!found.ok) return found
    const { edition, authorNames, batched } = found.value
    const workKey = openLibraryWorkKey(edition)
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
    const value: ResolvedWork = { edition, work, workKey, ...(authorNames === undefined ? {} : { authorNames }) }
    // Kept without the batch mark: a later section served from here rode on no call at all.
    this.resolved.set(isbn13, value)
    return stepOk(batched === undefined ? value : { ...value, batched })
  }

  /**
   * The batched form: `/api/books?jscmd=details` answers the edition record itself, its authors
   * named, for many ISBNs in one call (no 302 hop, no request per author). A bibkey matches the
   * ISBN form the edition lists, so a book missing under its ISBN-13 is asked for again by its
   * ISBN-10, in the next batch: the misses of one call share the second.
   */
  private async batchedEdition(
    booksApi: BatchLoad, isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext
  ): Promise<Step<FoundEdition>> {
    const isbn = normalizeIsbn(isbn13)
    const forms = [isbn13, isbn.ok ? isbn.value.isbn10 : null].filter((form): form is string => form !== null)
    let batched: number | undefined
    for (const form of forms) {
      const body = jsonOf(await booksApi(form, signal, deadlineAt, trace), this.client.name)
      if (!body.ok) return body
      batched = body.batched ?? batched
      const details = asRecord(asRecord(asRecord(body.value)?.[openLibraryBibkey(form)])?.details)
      if (details === undefined || isNotFoundDocument(details)) continue
      const authorNames = asArray(details.authors).flatMap((author) => readString(asRecord(author)?.name) ?? [])
      return stepOk({ edition: details, authorNames, ...(batched === undefined ? {} : { batched }) })
    }
    return stepFailed({ status: 'not_found', detail: `Open Library has no edition for ISBN ${isbn13}`, ...(batched === undefined ? {} : { batched }) })
  }

  /**
   * A book can be listed under one ISBN form only: the ISBN-13 first, then the ISBN-10. The
   * first lookup starts a chain of about six requests, so it waits for a rate slot only in the
   * first quarter of the time left: a book that cannot start by then could not finish anyway,
   * and would only take the slots of books already under way.
   */
  private edition(isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<Step<FoundEdition>> {
    const isbn = normalizeIsbn(isbn13)
    return this.editionByPaths(openLibraryEditionPaths(isbn13, isbn.ok ? isbn.value.isbn10 : null), isbn13, signal, deadlineAt, trace)
  }

  private async editionByPaths(
    paths: readonly string[], isbn13: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext
  ): Promise<Step<FoundEdition>> {
    const now = performance.now()
    let startBy: number | undefined = now + (deadlineAt - now) * CHAIN_START_SHARE
    for (const path of paths) {
      const reply = await this.client.get(path, signal, deadlineAt, trace, startBy)
      startBy = undefined
      if (reply.status === 'not_found') continue
      const body = jsonOf(reply, this.client.name)
      if (!body.ok) return body
      const record = asRecord(body.value)
      if (record !== undefined && isNotFoundDocument(record)) continue
      return stepOk({ edition: body.value })
    }
    return stepFailed({ status: 'not_found', detail: `Open Library has no edition for ISBN ${isbn13}` })
  }
}
