import type { IncomingMessage } from 'node:http'
import type { SourceName } from '../../src/domain/sources.js'
import type { Behaviour, SeenRequest } from './fake-upstream.js'

/**
 * A native upstream that serves the optional batch endpoint beside the single one, as a
 * behaviour function for `startFakeUpstream` (`upstream.respond(batchCapable(source))`):
 * `GET /books/{isbn}` answers that book, `GET /books?isbn=a&isbn=b…` answers
 * `{"items": {"<isbn>": book}}`. Every book's body names its ISBN in a field the BookView keeps
 * (the publisher's title, the review's text, the recommendation's title), so a test can tell
 * that each caller got its own book and not a neighbour's from the same batch.
 */

/** A well-formed upstream body for `isbn`, distinguishable from every other ISBN's. */
export function bookOf(source: SourceName, isbn: string): Record<string, unknown> {
  switch (source) {
    case 'publisher':
      return { isbn, title: titleOf(isbn), authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02' }
    case 'reviews':
      return { isbn, averageRating: 4.5, ratingsCount: 1, items: [{ author: 'ann', rating: 5, text: reviewOf(isbn), date: '2024-01-02' }] }
    case 'recommendations':
      return { isbn, items: [{ isbn: '9780441172719', title: likeOf(isbn), authors: ['Frank Herbert'], score: 0.9 }] }
  }
}

export const titleOf = (isbn: string): string => `Title of ${isbn}`
export const reviewOf = (isbn: string): string => `Review of ${isbn}`
export const likeOf = (isbn: string): string => `Like ${isbn}`

/** Left out of a batch answer's items (the upstream does not know that book). */
export const ABSENT = Symbol('absent')

export interface BatchCapableOptions {
  /** Before either endpoint answers. */
  readonly delayMs?: number
  /** What a batch answer carries for `isbn`: undefined = its book, `ABSENT` = nothing (left out), anything else as it is. */
  readonly entry?: (isbn: string) => unknown
  /** Replaces the whole batch answer (a 503, a hang…), given the ISBNs asked for. */
  readonly batch?: (isbns: readonly string[]) => Behaviour
}

/** The behaviour of a batch-capable upstream for `source`. */
export function batchCapable(source: SourceName, options: BatchCapableOptions = {}): (req: IncomingMessage) => Behaviour {
  const { delayMs = 0 } = options
  return (req) => {
    const url = new URL(req.url ?? '/', 'http://upstream')
    if (url.pathname === '/books') {
      const isbns = url.searchParams.getAll('isbn')
      if (options.batch !== undefined) return options.batch(isbns)
      const items: Record<string, unknown> = {}
      for (const isbn of isbns) {
        const entry = options.entry?.(isbn) ?? bookOf(source, isbn)
        if (entry !== ABSENT) items[isbn] = entry
      }
      return { kind: 'json', body: { items }, delayMs }
    }
    const single = /^\/books\/(\d{13})$/.exec(url.pathname)
    if (single !== null) return { kind: 'json', body: bookOf(source, single[1] as string), delayMs }
    return { kind: 'json', status: 404, body: { error: 'no such route' } }
  }
}

/** The batch calls among the requests an upstream saw. */
export const batchCalls = (requests: readonly SeenRequest[]): SeenRequest[] => requests.filter((r) => isBatchCall(r))

/** The single-book calls among the requests an upstream saw. */
export const singleCalls = (requests: readonly SeenRequest[]): SeenRequest[] => requests.filter((r) => !isBatchCall(r))

/** The ISBNs a batch call asked for, in order. */
export const isbnsOf = (request: SeenRequest): string[] => new URL(request.url, 'http://upstream').searchParams.getAll('isbn')

function isBatchCall(request: SeenRequest): boolean {
  return new URL(request.url, 'http://upstream').pathname === '/books'
}
