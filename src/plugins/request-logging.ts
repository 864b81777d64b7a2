import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SourceReports } from '../domain/book-view.js'
import { isFailure } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by aggregating routes so the request's log line carries each source's outcome. */
    sourceReports: SourceReports | undefined
  }
}

/**
 * One log line per request, with per-source outcomes, instead of Fastify's two lines per
 * request and none per upstream call: enough to debug a partial answer. Its level follows
 * the outcome, so the hot path logs nothing at `info`: complete answers and client errors
 * are `debug`, partial answers `info`, 5xx `warn`. Formatting a JSON line for every request is
 * a measurable share of CPU under load; the metrics count the ordinary requests instead.
 */
async function requestLogging(app: FastifyInstance): Promise<void> {
  app.decorateRequest('sourceReports', undefined)
  // A callback-style hook: on every request, an async hook costs a promise for nothing.
  app.addHook('onResponse', (request, reply, done) => {
    // A disabled level is a no-op in pino: nothing is formatted.
    request.log[levelOf(reply.statusCode, request.sourceReports)]({
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      sources: request.sourceReports
    }, 'request completed')
    done()
  })
}

type AccessLogLevel = 'debug' | 'info' | 'warn'

function levelOf(statusCode: number, reports: SourceReports | undefined): AccessLogLevel {
  if (statusCode >= 500) return 'warn'
  if (reports === undefined) return 'debug'
  for (const name of SOURCE_NAMES) if (isFailure(reports[name].status)) return 'info'
  return 'debug'
}

export default fp(requestLogging, { name: 'request-logging' })
