import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { API_HEADERS } from '../http/security-headers.js'

/**
 * The headers every response carries, the security set (http/security-headers) and the request
 * id, in one onRequest hook: a hook invocation per concern was a cost on every request for
 * constant work. Registered before every other hook, so an answer a later hook gives instead
 * of the route (a 503 while closing, a 429) carries them too.
 */
async function responseHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(API_HEADERS).header('x-request-id', request.id)
    done()
  })
}

export default fp(responseHeaders, { name: 'response-headers' })
