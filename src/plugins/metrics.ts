import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { problemOf, sendProblem } from '../http/problem.js'
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js'

export interface MetricsOptions {
  readonly metrics: PrometheusMetrics
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  readonly token: string | undefined
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '')
  const expected = Buffer.from(`Bearer ${token}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** `GET /metrics` (Prometheus text) and the request-duration histogram behind it. */
async function metricsPlugin(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const { metrics, token } = options
  app.addHook('onResponse', (request, reply, done) => {
    // The route template (not the URL) keeps the label set bounded; unknown paths share one.
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.httpRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000)
    if (reply.statusCode === 429) metrics.rejectedRequest('rate_limited')
    done()
  })

  app.get('/metrics', { config: { rateLimit: false, shed: false } }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      reply.header('www-authenticate', 'Bearer')
      return sendProblem(reply, problemOf('unauthorized', 401, 'A bearer token is required for /metrics.'))
    }
    const text = await metrics.registry.metrics()
    return reply.type(metrics.registry.contentType).send(text)
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
