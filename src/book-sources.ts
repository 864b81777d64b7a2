import type { BookSource } from './aggregate/call-source.js'
import type { BookSources } from './aggregate/gather-sources.js'
import type { SearchSource } from './aggregate/search-books.js'
import { CachedSource } from './cache/cached-source.js'
import type { CacheStore } from './cache/cache-store.js'
import { MemoryStore } from './cache/memory-store.js'
import { RedisStore } from './cache/redis-store.js'
import { TieredStore } from './cache/tiered-store.js'
import type { Config } from './config.js'
import type { UpstreamObserver } from './domain/observer.js'
import type { SourceName } from './domain/sources.js'
import { createProviderSections } from './provider-book-sources.js'
import { RedisConnection, type RedisLogger } from './redis/redis-connection.js'
import type { ProviderLogger } from './upstream/providers/openlibrary-client.js'
import { closeUpstreamClients, createResilientSources, createUpstreamClients } from './upstream/upstream-clients.js'
import type { HostHealth } from './upstream/upstream-host.js'
import { nativeBatchOptions, nativeHostPolicies } from './upstream-options.js'

// Enough sockets for the bulkhead's default concurrency plus hedges, per upstream.
const CONNECTIONS_PER_UPSTREAM = 128

export interface BookSourceStack {
  /** What the routes call: cache → resilience policies → HTTP client, per section (and provider). */
  readonly sources: BookSources
  /** The policy layer's state per section, for readiness and metrics (circuit states). */
  readonly resilient: Readonly<Record<SourceName, HostHealth>>
  /** What `GET /search` asks: the publisher section's first provider that can search. */
  readonly search: SearchSource
  readonly redis: RedisConnection | undefined
  close(): Promise<void>
}

/** Wraps one section's source (of one provider, when `keyPrefix` names it) in the cache, when the cache is on. */
export type CacheWrap = (name: SourceName, source: BookSource, keyPrefix?: string) => BookSource

/**
 * Builds every upstream's stack once, at start; nothing here runs per request. Without any
 * *_PROVIDERS setting every section is native, as it always was; with them, see
 * provider-book-sources.ts. `urls` are the native upstreams' (undefined when no section is native).
 */
export function createBookSources(
  config: Config, urls: Readonly<Record<SourceName, URL>> | undefined, log: RedisLogger & ProviderLogger, observer: UpstreamObserver
): BookSourceStack {
  const redis = config.redis.url === undefined ? undefined : new RedisConnection(config.redis.url, config.redis.timeoutMs, log)
  let cache: CacheWrap = (_name, source) => source
  if (config.cache.enabled) {
    // Three quarters of the budget; whole answers (http/book-representations) get the rest.
    // Scan resistant: a crawl of fresh ISBNs does not flush the books people come back for.
    const memory = new MemoryStore(Math.floor(config.cache.maxBytes * 0.75), { scanResistant: true })
    const store: CacheStore = redis === undefined ? memory : new TieredStore(memory, new RedisStore(redis), config.cache)
    cache = (name, source, keyPrefix) => new CachedSource(source, store, {
      name,
      ...(keyPrefix === undefined ? {} : { keyPrefix }),
      ttlMs: config.cache.ttlMs[name],
      notFoundTtlMs: config.cache.notFoundTtlMs,
      staleWhileRevalidateMs: config.cache.staleWhileRevalidateMs,
      maxStaleMs: config.cache.maxStaleMs,
      refreshTimeoutMs: config.upstreamTimeoutMs[name]
    }, observer)
  }

  if (config.sectionProviders !== undefined) {
    const sections = createProviderSections(config, config.sectionProviders, urls, log, observer, cache)
    return {
      ...sections,
      redis,
      async close() {
        await sections.close()
        await redis?.close()
      }
    }
  }

  if (urls === undefined) throw new TypeError('native upstreams need their URLs (or the demo upstreams)')
  const clients = createUpstreamClients({
    urls,
    maxBodyBytes: config.upstreamMaxBodyBytes,
    connectionsPerUpstream: Math.max(CONNECTIONS_PER_UPSTREAM, config.resilience.maxConcurrency)
  })
  const resilient = createResilientSources(clients, nativeHostPolicies(config), log, observer, nativeBatchOptions(config))
  return {
    sources: { publisher: cache('publisher', resilient.publisher), reviews: cache('reviews', resilient.reviews), recommendations: cache('recommendations', resilient.recommendations) },
    resilient,
    search: resilient.publisher,
    redis,
    async close() {
      await closeUpstreamClients(clients)
      await redis?.close()
    }
  }
}
