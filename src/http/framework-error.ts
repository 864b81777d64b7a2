import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { genericProblem, problemOf, sendProblem } from './problem.js'

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route, hook or error
 * handler runs (a path that is not valid percent-encoding, a path parameter longer than
 * `maxParamLength`). Without this, Fastify answers with its own JSON shape; with it, these
 * are problem+json like every other error. Nothing of the path is echoed. No hook runs for
 * these requests, so the request id header is set here.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id)
  const status = error.statusCode ?? 400
  if (status >= 500) {
    sendProblem(reply, problemOf('internal', 500, 'An unexpected error occurred.'))
    return
  }
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? 'A segment of the request path is too long.'
    : error.code === 'FST_ERR_BAD_URL'
      ? 'The request path is not valid percent-encoded UTF-8.'
      : `${STATUS_CODES[status] ?? 'Bad request'}: the request could not be routed.`
  sendProblem(reply, genericProblem(status, detail))
}
