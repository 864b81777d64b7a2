import type { CacheEntry } from './cache-entry.js'
import type { CacheStore } from './cache-store.js'
import { BlockLru } from './block-lru.js'
import { Doorkeeper } from '../domain/doorkeeper.js'
import { hashString } from '../domain/string-hash.js'

export interface MemoryStoreOptions {
  /**
   * Once full, let a new key in only when it was offered before, recently (scan resistance):
   * a key asked for once would evict one that may be asked for again.
   */
  readonly scanResistant?: boolean
}

// What an entry costs besides the blocks of its key and text: its slot's fields in BlockLru's
// typed arrays, 53 bytes (up to twice that just after they grew). The index and the blocks'
// chains are fixed, 16–24 bytes per 256-byte block, outside the budget (npm run bench:cache-entry).
const ENTRY_OVERHEAD_BYTES = 64
// How many offers the doorkeeper remembers, per byte of budget: about one per cached entry
// (each counts ~750 bytes with the bench's mocks; the demo catalog's are smaller).
const BYTES_PER_REMEMBERED_KEY = 768

// What set() answers: the write is done by then, and a fresh promise per write would be garbage.
const WRITTEN: Promise<void> = Promise.resolve()

/**
 * In-process LRU bounded by its bytes, so memory stays flat whatever the traffic; its entries
 * live off the JS heap (BlockLru), so a full cache costs the garbage collector nothing per entry.
 */
export class MemoryStore implements CacheStore {
  readonly peekIsComplete = true
  private readonly lru: BlockLru
  private readonly doorkeeper: Doorkeeper | undefined
  private writes = 0

  constructor(maxBytes: number, options: MemoryStoreOptions = {}) {
    this.lru = new BlockLru(maxBytes)
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
  peek(key: string, hash?: number): CacheEntry | undefined {
    return this.lru.get(key, undefined, hash)
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return this.lru.get(key)
  }

  set(key: string, entry: CacheEntry, retentionMs: number, absent = false, hash = hashString(key)): Promise<void> {
    // Nothing to keep means nothing to store.
    if (retentionMs <= 0) return WRITTEN
    const fits = this.admits(key, hash, BlockLru.sizeOf(key, entry, ENTRY_OVERHEAD_BYTES), absent)
    if (fits && this.lru.set(key, entry, retentionMs, ENTRY_OVERHEAD_BYTES, undefined, hash)) this.writes++
    return WRITTEN
  }

  /** Room left, a key already kept (a refresh), or a key offered before: a full store keeps nothing else. */
  private admits(key: string, hash: number, size: number, absent: boolean): boolean {
    if (this.doorkeeper === undefined || this.lru.calculatedSize + size <= this.lru.maxSize) return true
    // The doorkeeper first: its bits are cheaper to read than the LRU's map, which a caller that
    // just missed spares us (a fresh key's lookup in a full store's map costs ~2 µs, measured: cache misses).
    return this.doorkeeper.offerHash(hash) || (!absent && this.lru.has(key, undefined, hash))
  }
}
