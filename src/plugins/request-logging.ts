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
  // Callback-style hooks: on every request, an async hook costs a promise for nothing.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      sources: request.sourceReports
    }, 'request completed')
    done()
  })
}

export default fp(requestLogging, { name: 'request-logging' })
