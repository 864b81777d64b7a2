import { hashString, mix } from './string-hash.js'

/**
 * Remembers which keys were offered recently, in a fixed, off-heap bit array: the admission
 * test of a bounded memo (TinyLFU's "doorkeeper"). A key offered for the first time is only
 * noted; offered again within the window, it is let in. A crawl of the catalog, where nearly
 * every book is asked for once, then does not evict the books people come back for from the
 * memory cache (cache/memory-store), nor fill the ISBN memo (domain/isbn) with entries that
 * only live long enough for the GC to promote them.
 *
 * Two generations of bits, each covering `windowKeys` offers, so a key stays remembered for
 * one to two windows; two bits per key, 16 bits or more per key of a window, keep false admissions
 * of keys never offered near 2% (under 3% with both generations full). A key's two bits share
 * one 32-bit word (a blocked Bloom filter): an offer then reads one cache line per generation,
 * not two, and in a filter larger than the CPU's nearer caches those reads are most of its cost.
 */
export class Doorkeeper {
  private current: Uint32Array
  private previous: Uint32Array
  private readonly wordMask: number
  private offers = 0

  constructor(private readonly windowKeys: number) {
    // 16 bits per key of the window, a power of two so a hash masks into it.
    const bits = 2 ** Math.ceil(Math.log2(Math.max(1024, windowKeys) * 16))
    this.wordMask = bits / 32 - 1
    this.current = new Uint32Array(bits / 32)
    this.previous = new Uint32Array(bits / 32)
  }

  /** Whether `key` was offered within the window; notes it either way. */
  offer(key: string): boolean {
    return this.offerHash(hashString(key))
  }

  /** `offer`, for a caller that has the key's `hashString` already. */
  offerHash(hash: number): boolean {
    const word = hash & this.wordMask
    // The word from the hash's low bits; a bit in each half of it from a second mix of it.
    const spread = mix(hash ^ 0x9e3779b9)
    const bits = (1 << (spread & 15)) | (1 << (16 + ((spread >>> 4) & 15)))
    const seen = ((this.current[word] as number) & bits) === bits || ((this.previous[word] as number) & bits) === bits
    this.current[word] = (this.current[word] as number) | bits
    if (++this.offers >= this.windowKeys) this.age()
    return seen
  }

  private age(): void {
    const oldest = this.previous
    this.previous = this.current
    oldest.fill(0)
    this.current = oldest
    this.offers = 0
  }
}
