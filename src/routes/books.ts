import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { BookAggregator } from '../aggregate/book-aggregator.js'
import { normalizeIsbn } from '../domain/isbn.js'
import { parseInclude } from '../domain/include.js'
import type { BookRepresentation, BookRepresentations } from '../http/book-representations.js'
import { bookViewJson, sectionTexts } from '../http/book-view-json.js'
import { cacheHeadersFor, matchesIfNoneMatch } from '../http/cache-headers.js'
import { clientSignal } from '../http/client-signal.js'
import { serverTimingOf } from '../http/server-timing.js'
import { addVary } from '../http/vary.js'
import { problemForVerdict } from '../http/book-problems.js'
import { problemOf, sendProblem } from '../http/problem.js'

export interface BooksRouteOptions {
  readonly aggregator: BookAggregator
  /** Complete answers of fresh cache hits, sent again as they are; none without a cache. */
  readonly representations?: BookRepresentations
}

interface BookRequest {
  Params: { isbn: string }
  Querystring: { include?: string | string[] }
}

export default async function booksRoutes(app: FastifyInstance, options: BooksRouteOptions): Promise<void> {
  const { aggregator, representations } = options

  app.get<BookRequest>('/books/:isbn', async (request, reply) => {
    const isbn = normalizeIsbn(request.params.isbn)
    if (!isbn.ok) {
      return sendProblem(reply, problemOf('invalid-isbn', 400, `The ISBN ${isbn.reason}.`))
    }
    const include = parseInclude(request.query.include)
    if (!include.ok) return sendProblem(reply, problemOf('invalid-parameter', 400, include.reason))

    const stored = representations?.get(isbn.value.isbn13, include.value)
    if (stored !== undefined) {
      request.sourceReports = stored.reports
      return sendBook(request, reply, stored, `public, max-age=${Math.floor((stored.freshUntil - Date.now()) / 1000)}`)
    }

    const started = performance.now()
    const { verdict, view, outcomes } = await aggregator.lookup(isbn.value, include.value, clientSignal(reply), request.trace)
    request.sourceReports = view.sources
    const serverTiming = serverTimingOf(outcomes, performance.now() - started)
    if (verdict !== 'found') {
      addVary(reply, 'accept-encoding')
      reply.header('server-timing', serverTiming).header('cache-control', 'no-store')
      return sendProblem(reply, problemForVerdict(verdict, view))
    }
    const texts = sectionTexts(view, outcomes)
    const { etag, cacheControl } = cacheHeadersFor(view, outcomes, texts)
    const answer = { body: bookViewJson(view, texts), etag, serverTiming, reports: view.sources }
    representations?.offer(isbn.value.isbn13, include.value, outcomes, answer)
    return sendBook(request, reply, answer, cacheControl)
  })
}

function sendBook(
  request: FastifyRequest, reply: FastifyReply, answer: Pick<BookRepresentation, 'body' | 'etag' | 'serverTiming'>, cacheControl: string
): FastifyReply {
  addVary(reply, 'accept-encoding')
  reply.header('server-timing', answer.serverTiming).header('etag', answer.etag).header('cache-control', cacheControl)
  if (matchesIfNoneMatch(request.headers['if-none-match'], answer.etag)) return reply.code(304).send()
  return reply.type('application/json; charset=utf-8').send(answer.body)
}
