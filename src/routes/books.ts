import type { FastifyInstance } from 'fastify'
import { gatherSources, type BookSources } from '../aggregate/gather-sources.js'
import { settleBookView, type Verdict } from '../aggregate/settle-book-view.js'
import { normalizeIsbn } from '../domain/isbn.js'
import { parseInclude } from '../domain/include.js'
import type { SourceName } from '../domain/sources.js'
import { cacheHeadersFor, matchesIfNoneMatch } from '../http/cache-headers.js'
import { clientSignal } from '../http/client-signal.js'
import { problemOf, sendProblem, type ProblemSlug } from '../http/problem.js'

export interface BooksRouteOptions {
  readonly sources: BookSources
  readonly timeoutsMs: Readonly<Record<SourceName, number>>
  readonly deadlineMs: number
}

interface BookRequest {
  Params: { isbn: string }
  Querystring: { include?: string | string[] }
}

const FAILURE_PROBLEMS: Record<Exclude<Verdict, 'found'>, { slug: ProblemSlug; status: number; detail: string }> = {
  not_found: { slug: 'book-not-found', status: 404, detail: 'No source knows a book with ISBN' },
  failed: { slug: 'upstreams-failed', status: 502, detail: 'Every included source failed for ISBN' },
  timed_out: { slug: 'upstreams-timeout', status: 504, detail: 'Every included source timed out for ISBN' }
}

export default async function booksRoutes(app: FastifyInstance, options: BooksRouteOptions): Promise<void> {
  app.get<BookRequest>('/books/:isbn', async (request, reply) => {
    const isbn = normalizeIsbn(request.params.isbn)
    if (!isbn.ok) {
      return sendProblem(reply, problemOf('invalid-isbn', 400, `The ISBN ${isbn.reason}.`))
    }
    const include = parseInclude(request.query.include)
    if (!include.ok) return sendProblem(reply, problemOf('invalid-parameter', 400, include.reason))

    const outcomes = await gatherSources({
      isbn13: isbn.value.isbn13,
      include: include.value,
      sources: options.sources,
      timeoutsMs: options.timeoutsMs,
      deadlineMs: options.deadlineMs,
      signal: clientSignal(reply)
    })
    const { verdict, view } = settleBookView(isbn.value, outcomes)
    request.sourceReports = view.sources
    reply.header('vary', 'accept-encoding')
    if (verdict !== 'found') {
      const failure = FAILURE_PROBLEMS[verdict]
      reply.header('cache-control', 'no-store')
      return sendProblem(reply, problemOf(failure.slug, failure.status, `${failure.detail} ${view.isbn}.`, view.sources))
    }
    const { etag, cacheControl } = cacheHeadersFor(view, outcomes)
    reply.header('etag', etag).header('cache-control', cacheControl)
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send()
    return reply.send(view)
  })
}
