import type { CacheEntry } from './cache-entry.js'

// Bytes of text per block. An entry takes whole blocks, so it wastes half a block on average:
// 256 keeps that near 15% of the sections measured (~500–800 bytes of JSON each).
const BLOCK_BYTES = 256
const NONE = -1
const OK = 0
const NOT_FOUND = 1

/**
 * A least-recently-used map from keys to cache entries whose texts live outside the JS heap,
 * in fixed-size blocks of one buffer, and whose other fields live in typed arrays indexed by
 * a slot number. The heap keeps one key string and one map entry per entry, nothing else, so a
 * full cache is a few hundred thousand fewer objects for the garbage collector to mark and
 * compact; lru-cache kept five per entry (key, its flat copy, the entry, its text, the map
 * entry), and with a full 64 MiB cache every major GC walked them all.
 *
 * Entries come back as new objects: `get` decodes the text again each time (a copy of ~0.1 µs
 * per KB), which a hit then parses anyway.
 */
export class BlockLru {
  readonly maxSize: number
  private readonly slab: Buffer
  private scratch = Buffer.allocUnsafeSlow(4 * BLOCK_BYTES)
  private readonly slots = new Map<string, number>()
  private keys: (string | undefined)[] = []
  // Per slot: the entry's fields, its chain of blocks and its place in the recency list.
  private status = new Uint8Array(16)
  private textBytes = new Int32Array(16)
  private firstBlock = new Int32Array(16)
  private storedAt = new Float64Array(16)
  private ttlMs = new Float64Array(16)
  private expiresAt = new Float64Array(16)
  private sizes = new Int32Array(16)
  private newer = new Int32Array(16)
  private older = new Int32Array(16)
  private readonly freeSlots: number[] = []
  private slotCount = 0
  // Blocks: the next one of an entry's chain, and a stack of free ones.
  private readonly nextBlock: Int32Array
  private readonly freeBlocks: Int32Array
  private freeBlockCount: number
  private newest = NONE
  private oldest = NONE
  private used = 0

  constructor(maxBytes: number) {
    this.maxSize = maxBytes
    const blocks = Math.max(1, Math.floor(maxBytes / BLOCK_BYTES))
    // Untouched pages of the buffer cost no memory: it is resident only as far as it is used.
    this.slab = Buffer.allocUnsafeSlow(blocks * BLOCK_BYTES)
    this.nextBlock = new Int32Array(blocks)
    this.freeBlocks = new Int32Array(blocks)
    for (let i = 0; i < blocks; i++) this.freeBlocks[i] = blocks - 1 - i
    this.freeBlockCount = blocks
  }

  /** What `entry` will count against `maxSize` (exact for ASCII text; UTF-8 may take a block more). */
  static sizeOf(entry: CacheEntry, overheadBytes: number): number {
    const length = (entry.status === 'ok' ? entry.json ?? 'null' : entry.detail ?? '').length
    return Math.max(1, Math.ceil(length / BLOCK_BYTES)) * BLOCK_BYTES + overheadBytes
  }

  get size(): number {
    return this.slots.size
  }

  /** What the entries count against `maxSize`: their blocks, plus what each costs the heap. */
  get calculatedSize(): number {
    return this.used
  }

  /** The entry, made the most recently used; undefined when absent or past its retention. */
  get(key: string, now = performance.now()): CacheEntry | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined) return undefined
    if ((this.expiresAt[slot] as number) <= now) {
      this.remove(slot)
      return undefined
    }
    this.unlink(slot)
    this.linkNewest(slot)
    return this.entryAt(slot)
  }

  /** Whether a live entry is kept under `key`, without making it recent. */
  has(key: string, now = performance.now()): boolean {
    const slot = this.slots.get(key)
    return slot !== undefined && (this.expiresAt[slot] as number) > now
  }

  /**
   * Keeps `entry` for `retentionMs`, evicting the least recently used entries to make room;
   * `overheadBytes` is what it costs besides its text's blocks. An entry larger than the whole
   * budget is not kept (and replaces nothing).
   */
  set(key: string, entry: CacheEntry, retentionMs: number, overheadBytes: number, now = performance.now()): boolean {
    const text = entry.status === 'ok' ? entry.json ?? 'null' : entry.detail
    const bytes = text === undefined ? 0 : this.encode(text)
    const blocks = Math.max(1, Math.ceil(bytes / BLOCK_BYTES))
    const size = blocks * BLOCK_BYTES + overheadBytes
    const existing = this.slots.get(key)
    if (existing !== undefined) this.remove(existing)
    if (size > this.maxSize || blocks > this.nextBlock.length) return false
    while (this.oldest !== NONE && (this.used + size > this.maxSize || this.freeBlockCount < blocks)) this.remove(this.oldest)
    const slot = this.takeSlot()
    this.keys[slot] = key
    this.slots.set(key, slot)
    this.status[slot] = entry.status === 'ok' ? OK : NOT_FOUND
    this.textBytes[slot] = text === undefined ? NONE : bytes
    this.storedAt[slot] = entry.storedAt
    this.ttlMs[slot] = entry.ttlMs
    this.expiresAt[slot] = now + retentionMs
    this.sizes[slot] = size
    this.firstBlock[slot] = this.store(bytes, blocks)
    this.used += size
    this.linkNewest(slot)
    return true
  }

  private entryAt(slot: number): CacheEntry {
    const bytes = this.textBytes[slot] as number
    const text = bytes === NONE ? undefined : this.load(this.firstBlock[slot] as number, bytes)
    const storedAt = this.storedAt[slot] as number
    const ttlMs = this.ttlMs[slot] as number
    if (this.status[slot] === OK) return { status: 'ok', json: text as string, storedAt, ttlMs }
    return text === undefined ? { status: 'not_found', storedAt, ttlMs } : { status: 'not_found', detail: text, storedAt, ttlMs }
  }

  /** The text as UTF-8 in `scratch` (grown as needed); its length in bytes. */
  private encode(text: string): number {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    if (text.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(text.length * 3)
    return this.scratch.write(text, 0, 'utf8')
  }

  /** Copies `bytes` of `scratch` into a chain of free blocks; the chain's first block. */
  private store(bytes: number, blocks: number): number {
    let first = NONE
    let previous = NONE
    for (let i = 0; i < blocks; i++) {
      const block = this.freeBlocks[--this.freeBlockCount] as number
      if (previous === NONE) first = block
      else this.nextBlock[previous] = block
      const start = i * BLOCK_BYTES
      this.scratch.copy(this.slab, block * BLOCK_BYTES, start, Math.min(bytes, start + BLOCK_BYTES))
      previous = block
    }
    this.nextBlock[previous] = NONE
    return first
  }

  private load(first: number, bytes: number): string {
    if (bytes <= BLOCK_BYTES) return this.slab.toString('utf8', first * BLOCK_BYTES, first * BLOCK_BYTES + bytes)
    if (bytes > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(bytes)
    let block = first
    for (let start = 0; start < bytes; start += BLOCK_BYTES) {
      const length = Math.min(BLOCK_BYTES, bytes - start)
      this.slab.copy(this.scratch, start, block * BLOCK_BYTES, block * BLOCK_BYTES + length)
      block = this.nextBlock[block] as number
    }
    return this.scratch.toString('utf8', 0, bytes)
  }

  private remove(slot: number): void {
    this.slots.delete(this.keys[slot] as string)
    this.keys[slot] = undefined
    this.unlink(slot)
    for (let block = this.firstBlock[slot] as number; block !== NONE; block = this.nextBlock[block] as number) {
      this.freeBlocks[this.freeBlockCount++] = block
    }
    this.used -= this.sizes[slot] as number
    this.freeSlots.push(slot)
  }

  private takeSlot(): number {
    const reused = this.freeSlots.pop()
    if (reused !== undefined) return reused
    if (this.slotCount === this.status.length) this.growSlots(this.status.length * 2)
    return this.slotCount++
  }

  private growSlots(capacity: number): void {
    const grow = <T extends Uint8Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const grown = make(capacity)
      grown.set(old)
      return grown
    }
    this.status = grow(this.status, (n) => new Uint8Array(n))
    this.textBytes = grow(this.textBytes, (n) => new Int32Array(n))
    this.firstBlock = grow(this.firstBlock, (n) => new Int32Array(n))
    this.sizes = grow(this.sizes, (n) => new Int32Array(n))
    this.newer = grow(this.newer, (n) => new Int32Array(n))
    this.older = grow(this.older, (n) => new Int32Array(n))
    this.storedAt = grow(this.storedAt, (n) => new Float64Array(n))
    this.ttlMs = grow(this.ttlMs, (n) => new Float64Array(n))
    this.expiresAt = grow(this.expiresAt, (n) => new Float64Array(n))
  }

  private linkNewest(slot: number): void {
    this.older[slot] = this.newest
    this.newer[slot] = NONE
    if (this.newest !== NONE) this.newer[this.newest] = slot
    this.newest = slot
    if (this.oldest === NONE) this.oldest = slot
  }

  private unlink(slot: number): void {
    const newer = this.newer[slot] as number
    const older = this.older[slot] as number
    if (newer === NONE) this.newest = older
    else this.older[newer] = older
    if (older === NONE) this.oldest = newer
    else this.newer[older] = newer
  }
}
