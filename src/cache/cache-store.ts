import type { CacheEntry } from './cache-entry.js'

/**
 * Where cache entries live. Implementations never throw: a cache that is down is a cache
 * miss, never a client error.
 */
export interface CacheStore {
  /** Synchronous look at the in-process tier, if the store has one: a memory hit costs no promise. */
  peek?(key: string): CacheEntry | undefined
  /** `peek` sees every entry there is (no other tier): a peek miss is a miss, no `get` needed. */
  readonly peekIsComplete?: boolean
  get(key: string): Promise<CacheEntry | undefined>
  set(key: string, entry: CacheEntry, retentionMs: number): Promise<void>
}
