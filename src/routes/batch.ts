import { setMaxListeners } from 'node:events'
import { Readable } from 'node:stream'
import { Ajv } from 'ajv'
import type { FastifyInstance } from 'fastify'
import type { BookAggregator } from '../aggregate/book-aggregator.js'
import { settleBatch, type BatchOutcome } from '../aggregate/settle-batch.js'
import { parseInclude } from '../domain/include.js'
import { SOURCE_NAMES } from '../domain/sources.js'
import { problemForVerdict } from '../http/book-problems.js'
import { clientSignal } from '../http/client-signal.js'
import { genericProblem, problemOf, sendProblem } from '../http/problem.js'

export interface BatchRouteOptions {
  readonly aggregator: BookAggregator
  readonly concurrency: number
}

interface BatchRequest {
  Body: { isbns: string[]; include?: string[] }
}

const MAX_ITEMS = 100
const bodySchema = {
  type: 'object',
  required: ['isbns'],
  additionalProperties: false,
  properties: {
    isbns: { type: 'array', minItems: 1, maxItems: MAX_ITEMS, items: { type: 'string', maxLength: 64 } },
    include: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', enum: [...SOURCE_NAMES] } }
  }
} as const

/** One batch item as clients see it: an HTTP-like status, and the book or a problem. */
function itemOf(outcome: BatchOutcome): object {
  if (outcome.kind === 'invalid') {
    return { index: outcome.index, isbn: outcome.input, status: 400, error: problemOf('invalid-isbn', 400, `The ISBN ${outcome.reason}.`) }
  }
  const { verdict, view } = outcome.book
  if (verdict === 'found') return { index: outcome.index, isbn: view.isbn, status: 200, book: view }
  const error = problemForVerdict(verdict, view)
  return { index: outcome.index, isbn: view.isbn, status: error.status, error }
}

// Fastify's default validator coerces types and drops unknown properties; a batch body is
// either what the contract says or a 400, so this route validates strictly.
const strictAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false })

export default async function batchRoutes(app: FastifyInstance, options: BatchRouteOptions): Promise<void> {
  app.setValidatorCompiler(({ schema }) => strictAjv.compile(schema))
  app.post<BatchRequest>('/books/batch', {
    schema: { body: bodySchema },
    // 100 ISBNs fit in a few KB; anything much bigger is not a batch request.
    bodyLimit: 32 * 1024,
    // Streamed lines must leave as they are produced, not wait in a compressor.
    compress: false,
    // Fastify would parse text/plain too; a batch is JSON or nothing.
    preValidation: async (request, reply) => {
      if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
        return sendProblem(reply, genericProblem(415, 'The batch body must be application/json.'))
      }
    }
  }, async (request, reply) => {
    const include = parseInclude(request.body.include)
    if (!include.ok) return sendProblem(reply, problemOf('invalid-parameter', 400, include.reason))

    const signal = clientSignal(reply)
    // Every lookup in flight listens on it once per source (listeners leave as calls settle):
    // up to concurrency × sources at once by design, not the leak Node warns about past 10.
    setMaxListeners(options.concurrency * SOURCE_NAMES.length + 1, signal)
    const outcomes = settleBatch(request.body.isbns, {
      concurrency: options.concurrency,
      signal,
      lookup: (isbn, lookupSignal) => options.aggregator.lookup(isbn, include.value, lookupSignal, request.trace)
    })
    reply.header('cache-control', 'no-store')

    if (request.headers.accept?.includes('application/x-ndjson') === true) {
      async function* lines(): AsyncGenerator<string> {
        for await (const outcome of outcomes) yield JSON.stringify(itemOf(outcome)) + '\n'
      }
      // Readable.from pulls the next line only when the socket takes it: backpressure for free.
      return reply.type('application/x-ndjson').send(Readable.from(lines()))
    }

    const results: Array<{ index: number }> = []
    for await (const outcome of outcomes) results.push(itemOf(outcome) as { index: number })
    results.sort((a, b) => a.index - b.index)
    return reply.send({ results })
  })
}
