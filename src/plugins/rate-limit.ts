import { createHash } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import fp from 'fastify-plugin'

export interface RateLimitOptions {
  /** Requests per window per client; 0 turns rate limiting off. */
  readonly max: number
  readonly windowMs: number
  /** Shared counters, so the limit holds across replicas; in memory without it. */
  readonly redis?: Redis | undefined
}

/**
 * Per API key when the client sends one (many users can share a NAT'ed address), else per
 * client address. Keys are hashed so secrets never sit in the limiter's store.
 */
export function rateLimitKey(request: FastifyRequest): string {
  const apiKey = request.headers['x-api-key']
  if (typeof apiKey === 'string' && apiKey !== '') {
    return 'key:' + createHash('sha256').update(apiKey).digest('base64url').slice(0, 22)
  }
  return 'ip:' + request.ip
}

async function rateLimiting(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.max === 0) return
  await app.register(rateLimit, {
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: rateLimitKey,
    ...(options.redis === undefined ? {} : { redis: options.redis, nameSpace: 'book-aggregator:ratelimit:' }),
    // A Redis outage must not turn into client errors: requests pass unlimited meanwhile.
    skipOnError: true,
    // RateLimit-Limit / -Remaining / -Reset and Retry-After (IETF draft header names).
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => Object.assign(
      new Error(`Rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s.`),
      { statusCode: 429 }
    )
  })
}

export default fp(rateLimiting, { name: 'rate-limit' })
