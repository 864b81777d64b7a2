import type { CacheEntry } from './cache-entry.js'
import { BLOCK_BYTES, BlockSlab } from './block-slab.js'
import { hashString } from '../domain/string-hash.js'

const NONE = -1
const OK = 0
const NOT_FOUND = 1

/**
 * A least-recently-used map from string keys to cache entries that puts nothing on the JS heap
 * per entry: each entry's key and text are one record of a BlockSlab, its other fields live in
 * typed arrays indexed by a slot number, and the keys are found through an open-addressing
 * table of slots (an Int32Array, linear probing). A full cache is then a dozen objects for the
 * garbage collector, whatever it holds; lru-cache kept four per entry (the key, its flat copy,
 * the entry and its text; 782 bytes of heap in all, measured), and with a full 64 MiB cache
 * every major GC walked them all.
 *
 * Entries come back as new objects: `get` decodes the text again each time (a copy, well under
 * a microsecond per KB), which a hit then parses anyway.
 */
export class BlockLru {
  readonly maxSize: number
  private readonly slab: BlockSlab
  private scratch = Buffer.allocUnsafeSlow(4 * BLOCK_BYTES)
  /** Slot + 1 at a key's position (its hash, probing on); 0 where empty. Never more than half full. */
  private readonly index: Int32Array
  private readonly mask: number
  private count = 0
  // Per slot: the entry's fields, its record and its place in the recency list.
  private hashes = new Int32Array(16)
  private keyBytes = new Int32Array(16)
  private textBytes = new Int32Array(16)
  private status = new Uint8Array(16)
  private record = new Int32Array(16)
  private sizes = new Int32Array(16)
  private newer = new Int32Array(16)
  private older = new Int32Array(16)
  private storedAt = new Float64Array(16)
  private ttlMs = new Float64Array(16)
  private expiresAt = new Float64Array(16)
  private readonly freeSlots: number[] = []
  private slotCount = 0
  private newest = NONE
  private oldest = NONE
  private used = 0

  constructor(maxBytes: number) {
    this.maxSize = maxBytes
    this.slab = new BlockSlab(maxBytes)
    // Every entry takes a block at least, so there are never more entries than blocks.
    this.index = new Int32Array(2 ** Math.ceil(Math.log2(2 * this.slab.blocks + 1)))
    this.mask = this.index.length - 1
  }

  /** What an entry will count against `maxSize` (exact for ASCII; other UTF-8 may take a block more). */
  static sizeOf(key: string, entry: CacheEntry, overheadBytes: number): number {
    const text = entry.status === 'ok' ? entry.json ?? 'null' : entry.detail ?? ''
    return BlockSlab.blocksFor(key.length + text.length) * BLOCK_BYTES + overheadBytes
  }

  get size(): number {
    return this.count
  }

  /** What the entries count against `maxSize`: their blocks, plus the overhead each was given. */
  get calculatedSize(): number {
    return this.used
  }

  /**
   * The entry, made the most recently used; undefined when absent or past its retention.
   * `hash` is `hashString(key)`, for a caller that has it already (so also in `has` and `set`).
   */
  get(key: string, now?: number, hash = hashString(key)): CacheEntry | undefined {
    const slot = this.find(key, hash)
    if (slot === NONE) return undefined
    // The clock only for a key that is there: a miss (most lookups, under fresh ISBNs) needs none.
    if ((this.expiresAt[slot] as number) <= (now ?? performance.now())) {
      this.remove(slot)
      return undefined
    }
    this.unlink(slot)
    this.linkNewest(slot)
    return this.entryAt(slot)
  }

  /** Whether a live entry is kept under `key`, without making it recent. */
  has(key: string, now?: number, hash = hashString(key)): boolean {
    const slot = this.find(key, hash)
    return slot !== NONE && (this.expiresAt[slot] as number) > (now ?? performance.now())
  }

  /**
   * Keeps `entry` for `retentionMs`, evicting the least recently used entries to make room;
   * `overheadBytes` is what it costs besides its blocks. An entry larger than the whole budget
   * is not kept, and the one it would have replaced is dropped.
   */
  set(key: string, entry: CacheEntry, retentionMs: number, overheadBytes: number, now = performance.now(), hash = hashString(key)): boolean {
    const existing = this.find(key, hash)
    if (existing !== NONE) this.remove(existing)
    const text = entry.status === 'ok' ? entry.json ?? 'null' : entry.detail
    // UTF-8 takes at least a byte per UTF-16 code unit: what cannot fit is not even encoded.
    if (key.length + (text?.length ?? 0) > this.slab.blocks * BLOCK_BYTES) return false
    const keyLength = this.encode(key, 0, text?.length ?? 0)
    const textLength = text === undefined ? 0 : this.encode(text, keyLength, 0)
    const blocks = BlockSlab.blocksFor(keyLength + textLength)
    const size = blocks * BLOCK_BYTES + overheadBytes
    if (size > this.maxSize || blocks > this.slab.blocks) return false
    while (this.oldest !== NONE && (this.used + size > this.maxSize || this.slab.freeBlocks < blocks)) this.remove(this.oldest)
    const slot = this.takeSlot()
    this.hashes[slot] = hash
    this.keyBytes[slot] = keyLength
    this.textBytes[slot] = text === undefined ? NONE : textLength
    this.status[slot] = entry.status === 'ok' ? OK : NOT_FOUND
    this.record[slot] = this.slab.write(this.scratch, keyLength + textLength)
    this.sizes[slot] = size
    this.storedAt[slot] = entry.storedAt
    this.ttlMs[slot] = entry.ttlMs
    this.expiresAt[slot] = now + retentionMs
    let at = hash & this.mask
    while (this.index[at] !== 0) at = (at + 1) & this.mask
    this.index[at] = slot + 1
    this.count++
    this.used += size
    this.linkNewest(slot)
    return true
  }

  /** The slot holding `key`, or NONE. A miss costs the hash and, mostly, one probe. */
  private find(key: string, hash: number): number {
    let keyLength = NONE
    for (let at = hash & this.mask; ; at = (at + 1) & this.mask) {
      const slot = (this.index[at] as number) - 1
      if (slot === NONE) return NONE
      if (this.hashes[slot] !== (hash | 0)) continue
      if (keyLength === NONE) keyLength = this.encode(key, 0, 0)
      if (this.keyBytes[slot] === keyLength && this.slab.startsWith(this.record[slot] as number, this.scratch, keyLength)) return slot
    }
  }

  private entryAt(slot: number): CacheEntry {
    const bytes = this.textBytes[slot] as number
    const text = bytes === NONE ? undefined : this.slab.text(this.record[slot] as number, this.keyBytes[slot] as number, bytes)
    const storedAt = this.storedAt[slot] as number
    const ttlMs = this.ttlMs[slot] as number
    if (this.status[slot] === OK) return { status: 'ok', json: text as string, storedAt, ttlMs }
    return text === undefined ? { status: 'not_found', storedAt, ttlMs } : { status: 'not_found', detail: text, storedAt, ttlMs }
  }

  /** Writes `text` as UTF-8 into `scratch` at `offset`, with room for `more` code units after it; its length in bytes. */
  private encode(text: string, offset: number, more: number): number {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const needed = offset + 3 * (text.length + more)
    if (needed > this.scratch.length) {
      const grown = Buffer.allocUnsafeSlow(needed)
      this.scratch.copy(grown, 0, 0, offset)
      this.scratch = grown
    }
    return this.scratch.write(text, offset, 'utf8')
  }

  private remove(slot: number): void {
    this.unindex(slot)
    this.unlink(slot)
    this.slab.release(this.record[slot] as number)
    this.used -= this.sizes[slot] as number
    this.count--
    this.freeSlots.push(slot)
  }

  /** Takes the slot out of the index, moving later entries of its probe run back (no tombstones). */
  private unindex(slot: number): void {
    const { index, mask } = this
    let hole = (this.hashes[slot] as number) & mask
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask
    for (let at = (hole + 1) & mask; index[at] !== 0; at = (at + 1) & mask) {
      const home = (this.hashes[(index[at] as number) - 1] as number) & mask
      // An entry may move back into the hole only if its home is not between the hole and it.
      const between = hole <= at ? home > hole && home <= at : home > hole || home <= at
      if (between) continue
      index[hole] = index[at] as number
      hole = at
    }
    index[hole] = 0
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
    const int32 = (n: number) => new Int32Array(n)
    const float64 = (n: number) => new Float64Array(n)
    this.hashes = grow(this.hashes, int32)
    this.keyBytes = grow(this.keyBytes, int32)
    this.textBytes = grow(this.textBytes, int32)
    this.status = grow(this.status, (n) => new Uint8Array(n))
    this.record = grow(this.record, int32)
    this.sizes = grow(this.sizes, int32)
    this.newer = grow(this.newer, int32)
    this.older = grow(this.older, int32)
    this.storedAt = grow(this.storedAt, float64)
    this.ttlMs = grow(this.ttlMs, float64)
    this.expiresAt = grow(this.expiresAt, float64)
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
