import type { FastifyInstance } from 'fastify'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'
import { problemOf, sendProblem } from '../http/problem.js'
import type { RedisConnection } from '../redis/redis-connection.js'
import type { HostHealth } from '../upstream/upstream-host.js'

export interface ReadinessOptions {
  /** Per section: its host's state, or the worst of its providers' hosts. */
  readonly resilient: Readonly<Record<SourceName, HostHealth>>
  readonly redis: RedisConnection | undefined
}

/**
 * Readiness: 200 while this replica serves. An open circuit or a degraded Redis still
 * serves (partial answers, no shared cache), so they show as `degraded` rather than failing
 * the probe and taking every replica out of rotation at once.
 */
export default async function readinessRoutes(app: FastifyInstance, options: ReadinessOptions): Promise<void> {
  app.get('/readyz', { config: { rateLimit: false, shed: false } }, async (_request, reply) => {
    if (app.draining) {
      return sendProblem(reply, problemOf('service-unavailable', 503, 'Shutting down: send new work to another instance.'))
    }
    const upstreams = Object.fromEntries(SOURCE_NAMES.map((name) => [name, { circuit: options.resilient[name].circuitState }]))
    const redis = options.redis?.state ?? 'disabled'
    const degraded = redis === 'degraded' || SOURCE_NAMES.some((name) => options.resilient[name].circuitState !== 'closed')
    return { status: degraded ? 'degraded' : 'ready', upstreams, redis }
  })
}
