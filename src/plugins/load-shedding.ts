import { getHeapStatistics } from 'node:v8'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { problemOf, sendProblem } from '../http/problem.js'

export interface LoadSheddingOptions {
  /** 0 disables the check. */
  readonly maxEventLoopDelayMs: number
  /** Share of the V8 heap limit; 0 disables the check. */
  readonly maxHeapUsedRatio: number
  readonly onShed?: () => void
}

const RETRY_AFTER_S = 5

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` keeps a route answering under pressure (liveness, metrics). */
    shed?: boolean
  }
}

/**
 * When the process is overloaded, refusing new work at once (503 + Retry-After) keeps the
 * requests already in flight within their deadlines instead of making everyone late.
 */
async function loadShedding(app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * options.maxHeapUsedRatio),
    pressureHandler: (request, reply, type, value) => {
      if (request.routeOptions.config.shed === false) return
      request.log.warn({ pressure: type, value }, 'shedding load')
      options.onShed?.()
      reply.header('retry-after', String(RETRY_AFTER_S))
      sendProblem(reply, problemOf('service-unavailable', 503, `The service is overloaded (${type}); retry in ${RETRY_AFTER_S} s.`))
    }
  })
}

export default fp(loadShedding, { name: 'load-shedding' })
