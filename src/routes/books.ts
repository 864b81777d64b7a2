import type { FastifyInstance } from 'fastify'
import type { BookAggregator } from '../aggregate/book-aggregator.js'
import { normalizeIsbn } from '../domain/isbn.js'
import { parseInclude } from '../domain/include.js'
import { cacheHeadersFor, matchesIfNoneMatch } from '../http/cache-headers.js'
import { clientSignal } from '../http/client-signal.js'
import { serverTimingOf } from '../http/server-timing.js'
import { addVary } from '../http/vary.js'
import { problemForVerdict } from '../http/book-problems.js'
import { problemOf, sendProblem } from '../http/problem.js'

export interface BooksRouteOptions {
  readonly aggregator: BookAggregator
}

interface BookRequest {
  Params: { isbn: string }
  Querystring: { include?: string | string[] }
}

export default async function booksRoutes(app: FastifyInstance, options: BooksRouteOptions): Promise<void> {
  app.get<BookRequest>('/books/:isbn', async (request, reply) => {
    const isbn = normalizeIsbn(request.params.isbn)
    if (!isbn.ok) {
      return sendProblem(reply, problemOf('invalid-isbn', 400, `The ISBN ${isbn.reason}.`))
    }
    const include = parseInclude(request.query.include)
    if (!include.ok) return sendProblem(reply, problemOf('invalid-parameter', 400, include.reason))

    const started = performance.now()
    const { verdict, view, outcomes } = await options.aggregator.lookup(isbn.value, include.value, clientSignal(reply), request.trace)
    request.sourceReports = view.sources
    addVary(reply, 'accept-encoding')
    reply.header('server-timing', serverTimingOf(outcomes, performance.now() - started))
    if (verdict !== 'found') {
      reply.header('cache-control', 'no-store')
      return sendProblem(reply, problemForVerdict(verdict, view))
    }
    const { etag, cacheControl } = cacheHeadersFor(view, outcomes)
    reply.header('etag', etag).header('cache-control', cacheControl)
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send()
    return reply.send(view)
  })
}
