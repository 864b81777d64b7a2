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
    // As the header values they become: @fastify/cors joins arrays again on every request.
    methods: 'GET, POST, OPTIONS',
    allowedHeaders: 'content-type, accept, if-none-match, x-api-key, x-request-id, traceparent',
    exposedHeaders: 'server-timing, etag, retry-after, x-request-id, ratelimit-limit, ratelimit-remaining, ratelimit-reset',
    maxAge: 600,
    // A bare OPTIONS (no Origin / Access-Control-Request-Method) is not a preflight; strict mode
    // would answer it with a text/plain 400 that no error handler sees.
    strictPreflight: false
  })
}

export default fp(corsPolicy, { name: 'cors' })
