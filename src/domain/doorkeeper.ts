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
 * of keys never offered near 2% (under 3% with both generations full).
 */
export class Doorkeeper {
  private current: Uint32Array
  private previous: Uint32Array
  private readonly mask: number
  private offers = 0

  constructor(private readonly windowKeys: number) {
    // 16 bits per key of the window, a power of two so a hash masks into it.
    const bits = 2 ** Math.ceil(Math.log2(Math.max(1024, windowKeys) * 16))
    this.mask = bits - 1
    this.current = new Uint32Array(bits / 32)
    this.previous = new Uint32Array(bits / 32)
  }

  /** Whether `key` was offered within the window; notes it either way. */
  offer(key: string): boolean {
    const hash = hashString(key)
    const first = hash & this.mask
    const second = mix(hash ^ 0x9e3779b9) & this.mask
    const seen = (isSet(this.current, first) && isSet(this.current, second)) ||
      (isSet(this.previous, first) && isSet(this.previous, second))
    setBit(this.current, first)
    setBit(this.current, second)
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

function isSet(bits: Uint32Array, bit: number): boolean {
  return ((bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0
}

function setBit(bits: Uint32Array, bit: number): void {
  bits[bit >>> 5] = (bits[bit >>> 5] as number) | (1 << (bit & 31))
}
