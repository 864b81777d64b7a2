import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { genericProblem, problemOf, sendProblem } from '../http/problem.js'

/**
 * The one place errors become responses: every error is RFC 9457 problem+json, client errors
 * keep their message, server errors are logged and their internals hidden.
 */
async function problemDetails(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return sendProblem(reply, problemOf('internal', 500, 'An unexpected error occurred.'))
    }
    if (status === 429) return sendProblem(reply, problemOf('rate-limited', 429, error.message))
    if (error.validation) return sendProblem(reply, problemOf('invalid-parameter', 400, error.message))
    return sendProblem(reply, genericProblem(status, error.message))
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf('not-found', 404, `No route for ${request.method} ${request.url.split('?')[0]}`)))
}

export default fp(problemDetails, { name: 'problem-details' })
