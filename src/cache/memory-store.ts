import { LRUCache } from 'lru-cache'
import type { CacheEntry } from './cache-entry.js'
import type { CacheStore } from './cache-store.js'

/** In-process LRU bounded by an estimate of its bytes, so memory stays flat whatever the traffic. */
// What set() answers: the write is done by then, and a fresh promise per write would be garbage.
const WRITTEN: Promise<void> = Promise.resolve()

export class MemoryStore implements CacheStore {
  readonly peekIsComplete = true
  private readonly lru: LRUCache<string, CacheEntry>

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, CacheEntry>({
      maxSize: maxBytes,
      // The entry's JSON text is nearly all it retains; 64 covers the rest of the entry.
      sizeCalculation: (entry, key) => key.length + 64 + (entry.json?.length ?? 0),
      ttlAutopurge: false
    })
  }

  get size(): number {
    return this.lru.size
  }

  get calculatedBytes(): number {
    return this.lru.calculatedSize
  }

  /** Synchronous read for the hot path: a memory hit should not cost a promise. */
  peek(key: string): CacheEntry | undefined {
    return this.lru.get(key)
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return this.lru.get(key)
  }

  set(key: string, entry: CacheEntry, retentionMs: number): Promise<void> {
    // lru-cache reads a ttl of 0 as "forever"; nothing to keep means nothing to store.
    if (retentionMs > 0) this.lru.set(key, entry, { ttl: retentionMs })
    return WRITTEN
  }
}
