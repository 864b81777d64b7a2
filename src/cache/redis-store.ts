import type { RedisConnection } from '../redis/redis-connection.js'
import type { CacheEntry } from './cache-entry.js'
import type { CacheStore } from './cache-store.js'

// v2: entries hold the section as JSON text (v1 held objects); old entries are never read.
const KEY_PREFIX = 'book-aggregator:v2:'

/** The cache replicas share. Every failure is swallowed into a miss and reported once. */
export class RedisStore implements CacheStore {
  constructor(private readonly redis: RedisConnection) {}

  async get(key: string): Promise<CacheEntry | undefined> {
    if (this.redis.state !== 'up') return undefined
    try {
      const raw = await this.redis.client.get(KEY_PREFIX + key)
      return raw === null ? undefined : (JSON.parse(raw) as CacheEntry)
    } catch (error) {
      this.redis.reportFailure(error)
      return undefined
    }
  }

  async set(key: string, entry: CacheEntry, retentionMs: number): Promise<void> {
    if (this.redis.state !== 'up') return
    try {
      await this.redis.client.set(KEY_PREFIX + key, JSON.stringify(entry), 'PX', Math.max(1, Math.round(retentionMs)))
    } catch (error) {
      this.redis.reportFailure(error)
    }
  }
}
