import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface CorsOptions {
  /** `['*']` for any origin, or an explicit list. */
  readonly origins: readonly string[]
}

/** Library frontends call us from their own origins; they need to read our timing and cache headers. */
async function corsPolicy(app: FastifyInstance, options: CorsOptions): Promise<void> {
  await app.register(cors, {
    origin: options.origins.includes('*') ? '*' : [...options.origins],
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'accept', 'if-none-match', 'x-api-key', 'x-request-id', 'traceparent'],
    exposedHeaders: [
      'server-timing', 'etag', 'retry-after', 'x-request-id',
      'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'
    ],
    maxAge: 600
  })
}

export default fp(corsPolicy, { name: 'cors' })
