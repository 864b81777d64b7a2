import type { FastifyInstance } from 'fastify'
import type { BookSearch } from '../aggregate/search-books.js'
import { clientSignal } from '../http/client-signal.js'
import { problemOf, sendProblem } from '../http/problem.js'

export interface SearchRouteOptions {
  readonly search: BookSearch
  /** What clients may cache a successful answer for (the server-side TTL). */
  readonly cacheMaxAgeS: number
}

interface SearchRequest {
  Querystring: { q?: string; limit?: string }
}

const MAX_QUERY = 200
const MAX_LIMIT = 50
const DEFAULT_LIMIT = 10

export default async function searchRoutes(app: FastifyInstance, options: SearchRouteOptions): Promise<void> {
  app.get<SearchRequest>('/search', async (request, reply) => {
    const q = typeof request.query.q === 'string' ? request.query.q.trim() : ''
    if (q.length < 1 || q.length > MAX_QUERY || /\p{Cc}/u.test(q)) {
      return sendProblem(reply, problemOf('invalid-parameter', 400,
        `q must be 1 to ${MAX_QUERY} characters of text (no control characters).`))
    }
    const rawLimit = request.query.limit
    const limit = rawLimit === undefined ? DEFAULT_LIMIT : /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      return sendProblem(reply, problemOf('invalid-parameter', 400, `limit must be an integer from 1 to ${MAX_LIMIT}.`))
    }

    const outcome = await options.search.search(q, limit, clientSignal(reply), request.trace)
    if (outcome.status === 'ok') {
      const { results } = outcome.data as { results: unknown[] }
      reply.header('cache-control', `public, max-age=${options.cacheMaxAgeS}`)
      return reply.send({ query: q, results: results.slice(0, limit) })
    }
    reply.header('cache-control', 'no-store')
    if (outcome.status === 'timeout') {
      return sendProblem(reply, problemOf('upstreams-timeout', 504, `The publisher search did not answer in time.`))
    }
    return sendProblem(reply, problemOf('upstreams-failed', 502, `The publisher search failed (${outcome.status}).`))
  })
}
