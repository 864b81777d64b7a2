import type { CacheEntry } from './cache-entry.js'

/**
 * Where cache entries live. Implementations never throw: a cache that is down is a cache
 * miss, never a client error.
 */
export interface CacheStore {
  /**
   * Synchronous look at the in-process tier, if the store has one: a memory hit costs no promise.
   * `hash` (here and in `set`) is `hashString(key)`, when the caller has it already.
   */
  peek?(key: string, hash?: number): CacheEntry | undefined
  /** `peek` sees every entry there is (no other tier): a peek miss is a miss, no `get` needed. */
  readonly peekIsComplete?: boolean
  /**
   * Counts the writes `peek` can see: unchanged, what a peek found is still what a peek would
   * find (so a caller may reuse it instead of looking again).
   */
  readonly version?: number
  get(key: string): Promise<CacheEntry | undefined>
  /** `absent`: the caller found no entry under `key` (a full store then need not look for one). */
  set(key: string, entry: CacheEntry, retentionMs: number, absent?: boolean, hash?: number): Promise<void>
}
