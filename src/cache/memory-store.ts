import { LRUCache } from 'lru-cache'
import type { CacheEntry } from './cache-entry.js'
import type { CacheStore } from './cache-store.js'
import { Doorkeeper } from '../domain/doorkeeper.js'

export interface MemoryStoreOptions {
  /**
   * Once full, let a new key in only when it was offered before, recently (scan resistance):
   * a key asked for once would evict one that may be asked for again.
   */
  readonly scanResistant?: boolean
}

// What an entry costs the heap besides its text: the key (a cons string, and the flat copy the
// map's hash makes), the entry object, lru-cache's map entry and array slots. Measured: 87 000
// entries of the bench's three sections took 777 bytes each, 265 more than their text; with
// 64 here (the guess it replaced) a 64 MiB cache held 35% more than it was given.
const ENTRY_OVERHEAD_BYTES = 265
const sizeOf = (entry: CacheEntry, key: string): number => key.length + ENTRY_OVERHEAD_BYTES + (entry.json?.length ?? 0)
// How many offers the doorkeeper remembers, per byte of budget: about one per cached entry
// (each counts ~780 bytes by sizeOf with the bench's mocks; the demo catalog's are smaller).
const BYTES_PER_REMEMBERED_KEY = 768

/** In-process LRU bounded by an estimate of its bytes, so memory stays flat whatever the traffic. */
// What set() answers: the write is done by then, and a fresh promise per write would be garbage.
const WRITTEN: Promise<void> = Promise.resolve()

export class MemoryStore implements CacheStore {
  readonly peekIsComplete = true
  private readonly lru: LRUCache<string, CacheEntry>
  private readonly doorkeeper: Doorkeeper | undefined
  private writes = 0

  constructor(maxBytes: number, options: MemoryStoreOptions = {}) {
    // Every set passes the entry's size, computed once for the admission test and the LRU.
    this.lru = new LRUCache<string, CacheEntry>({ maxSize: maxBytes, ttlAutopurge: false })
    this.doorkeeper = options.scanResistant === true ? new Doorkeeper(Math.ceil(maxBytes / BYTES_PER_REMEMBERED_KEY)) : undefined
  }

  get size(): number {
    return this.lru.size
  }

  get calculatedBytes(): number {
    return this.lru.calculatedSize
  }

  get version(): number {
    return this.writes
  }

  /** Synchronous read for the hot path: a memory hit should not cost a promise. */
  peek(key: string): CacheEntry | undefined {
    return this.lru.get(key)
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return this.lru.get(key)
  }

  set(key: string, entry: CacheEntry, retentionMs: number, absent = false): Promise<void> {
    // lru-cache reads a ttl of 0 as "forever"; nothing to keep means nothing to store.
    if (retentionMs <= 0) return WRITTEN
    const size = sizeOf(entry, key)
    if (this.admits(key, size, absent)) {
      this.lru.set(key, entry, { ttl: retentionMs, size })
      this.writes++
    }
    return WRITTEN
  }

  /** Room left, a key already kept (a refresh), or a key offered before: a full store keeps nothing else. */
  private admits(key: string, size: number, absent: boolean): boolean {
    if (this.doorkeeper === undefined || this.lru.calculatedSize + size <= this.lru.maxSize) return true
    // The doorkeeper first: its bits are cheaper to read than the LRU's map, which a caller that
    // just missed spares us (a fresh key's lookup in a full store's map costs ~2 µs, measured: cache misses).
    return this.doorkeeper.offer(key) || (!absent && this.lru.has(key))
  }
}
