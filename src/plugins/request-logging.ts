import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SourceReports } from '../domain/book-view.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by aggregating routes so the request's log line carries each source's outcome. */
    sourceReports: SourceReports | undefined
  }
}

/**
 * One log line per request, with per-source outcomes, instead of Fastify's two lines per
 * request and none per upstream call: enough to debug a partial answer, cheap at volume.
 */
async function requestLogging(app: FastifyInstance): Promise<void> {
  app.decorateRequest('sourceReports', undefined)
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      sources: request.sourceReports
    }, 'request completed')
  })
}

export default fp(requestLogging, { name: 'request-logging' })
