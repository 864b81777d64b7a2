import { PassThrough } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { BookAggregator } from '../aggregate/book-aggregator.js'
import { reportOf, sectionOf } from '../aggregate/settle-book-view.js'
import { parseInclude } from '../domain/include.js'
import { normalizeIsbn } from '../domain/isbn.js'
import { problemForVerdict } from '../http/book-problems.js'
import { clientSignal } from '../http/client-signal.js'
import { problemOf, sendProblem } from '../http/problem.js'

export interface EventsRouteOptions {
  readonly aggregator: BookAggregator
  /** A comment line this often keeps proxies from closing a quiet stream. */
  readonly heartbeatMs: number
}

interface EventsRequest {
  Params: { isbn: string }
  Querystring: { include?: string | string[] }
}

/**
 * Server-Sent Events for progressive rendering: one `source` event per upstream as it
 * settles, then `book` (the BookView) or `problem` (404/502/504 details), then the end.
 */
export default async function eventsRoutes(app: FastifyInstance, options: EventsRouteOptions): Promise<void> {
  app.get<EventsRequest>('/books/:isbn/events', { compress: false }, async (request, reply) => {
    const isbn = normalizeIsbn(request.params.isbn)
    if (!isbn.ok) return sendProblem(reply, problemOf('invalid-isbn', 400, `The ISBN ${isbn.reason}.`))
    const include = parseInclude(request.query.include)
    if (!include.ok) return sendProblem(reply, problemOf('invalid-parameter', 400, include.reason))

    const stream = new PassThrough()
    const emit = (event: string, data: unknown): void => {
      stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), options.heartbeatMs)
    stream.write(': stream open\n\n')

    options.aggregator
      .lookup(isbn.value, include.value, clientSignal(reply), request.trace, (source, outcome) => {
        emit('source', { source, ...reportOf(outcome), data: sectionOf(outcome) })
      })
      .then(({ verdict, view }) => {
        request.sourceReports = view.sources
        if (verdict === 'found') emit('book', view)
        else emit('problem', problemForVerdict(verdict, view))
      })
      .catch((error: unknown) => {
        request.log.error({ err: error }, 'event stream failed')
        emit('problem', problemOf('internal', 500, 'An unexpected error occurred.'))
      })
      .finally(() => {
        clearInterval(heartbeat)
        stream.end()
      })

    return reply
      .type('text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store')
      // Tells nginx-style proxies not to buffer the stream.
      .header('x-accel-buffering', 'no')
      .send(stream)
  })
}
