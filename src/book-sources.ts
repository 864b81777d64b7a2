import type { BookSources } from './aggregate/gather-sources.js'
import { CachedSource } from './cache/cached-source.js'
import type { CacheStore } from './cache/cache-store.js'
import { MemoryStore } from './cache/memory-store.js'
import { RedisStore } from './cache/redis-store.js'
import { TieredStore } from './cache/tiered-store.js'
import type { Config } from './config.js'
import type { UpstreamObserver } from './domain/observer.js'
import type { SourceName } from './domain/sources.js'
import { RedisConnection, type RedisLogger } from './redis/redis-connection.js'
import { closeUpstreamClients, createResilientSources, createUpstreamClients, type ResilientSources } from './upstream/upstream-clients.js'

// Enough sockets for the bulkhead's default concurrency plus hedges, per upstream.
const CONNECTIONS_PER_UPSTREAM = 128

export interface BookSourceStack {
  /** What the routes call: cache → resilience policies → HTTP client, per upstream. */
  readonly sources: BookSources
  /** The policy layer, for readiness and metrics (circuit states). */
  readonly resilient: ResilientSources
  readonly redis: RedisConnection | undefined
  close(): Promise<void>
}

/** Builds every upstream's stack once, at start; nothing here runs per request. */
export function createBookSources(
  config: Config, urls: Readonly<Record<SourceName, URL>>, log: RedisLogger, observer: UpstreamObserver
): BookSourceStack {
  const clients = createUpstreamClients({
    urls,
    maxBodyBytes: config.upstreamMaxBodyBytes,
    connectionsPerUpstream: Math.max(CONNECTIONS_PER_UPSTREAM, config.resilience.maxConcurrency)
  })
  const resilient = createResilientSources(clients, config.resilience, log, observer)
  const redis = config.redis.url === undefined ? undefined : new RedisConnection(config.redis.url, config.redis.timeoutMs, log)

  let sources: BookSources = resilient
  if (config.cache.enabled) {
    // Three quarters of the budget; whole answers (http/book-representations) get the rest.
    const memory = new MemoryStore(Math.floor(config.cache.maxBytes * 0.75))
    const store: CacheStore = redis === undefined ? memory : new TieredStore(memory, new RedisStore(redis), config.cache)
    const cached = (name: SourceName): CachedSource => new CachedSource(resilient[name], store, {
      name,
      ttlMs: config.cache.ttlMs[name],
      notFoundTtlMs: config.cache.notFoundTtlMs,
      staleWhileRevalidateMs: config.cache.staleWhileRevalidateMs,
      maxStaleMs: config.cache.maxStaleMs,
      refreshTimeoutMs: config.upstreamTimeoutMs[name]
    }, observer)
    sources = { publisher: cached('publisher'), reviews: cached('reviews'), recommendations: cached('recommendations') }
  }

  return {
    sources,
    resilient,
    redis,
    async close() {
      await closeUpstreamClients(clients)
      await redis?.close()
    }
  }
}
