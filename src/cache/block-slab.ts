/** Bytes per block. An entry takes whole blocks, so it wastes half a block on average. */
export const BLOCK_BYTES = 256
const NONE = -1

/**
 * Byte records in fixed-size blocks of one buffer, outside the JS heap: a record is a chain of
 * blocks, so records of any size come and go in any order without fragmenting the buffer.
 * The chains and the free blocks are two Int32Arrays; the garbage collector sees the same
 * handful of objects however many records there are.
 */
export class BlockSlab {
  readonly blocks: number
  private readonly bytes: Buffer
  private readonly next: Int32Array
  private readonly free: Int32Array
  private freeCount: number
  private scratch = Buffer.allocUnsafeSlow(4 * BLOCK_BYTES)

  constructor(maxBytes: number) {
    this.blocks = Math.max(1, Math.floor(maxBytes / BLOCK_BYTES))
    // Untouched pages of the buffer cost no memory: it is resident only as far as it is used.
    this.bytes = Buffer.allocUnsafeSlow(this.blocks * BLOCK_BYTES)
    this.next = new Int32Array(this.blocks)
    this.free = new Int32Array(this.blocks)
    for (let i = 0; i < this.blocks; i++) this.free[i] = this.blocks - 1 - i
    this.freeCount = this.blocks
  }

  get freeBlocks(): number {
    return this.freeCount
  }

  static blocksFor(length: number): number {
    return Math.max(1, Math.ceil(length / BLOCK_BYTES))
  }

  /** Copies `source[0, length)` into free blocks (the caller made sure there are enough); the first block. */
  write(source: Buffer, length: number): number {
    let first = NONE
    let previous = NONE
    for (let start = 0; start < length || first === NONE; start += BLOCK_BYTES) {
      const block = this.free[--this.freeCount] as number
      if (previous === NONE) first = block
      else this.next[previous] = block
      source.copy(this.bytes, block * BLOCK_BYTES, start, Math.min(length, start + BLOCK_BYTES))
      previous = block
    }
    this.next[previous] = NONE
    return first
  }

  /** Bytes `[start, start + length)` of the record at `first`, decoded as UTF-8. */
  text(first: number, start: number, length: number): string {
    if (start + length <= BLOCK_BYTES) return this.bytes.toString('utf8', first * BLOCK_BYTES + start, first * BLOCK_BYTES + start + length)
    if (length > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(length)
    let copied = 0
    let offset = start
    for (let block = first; copied < length; block = this.next[block] as number) {
      if (offset >= BLOCK_BYTES) {
        offset -= BLOCK_BYTES
        continue
      }
      const take = Math.min(BLOCK_BYTES - offset, length - copied)
      this.bytes.copy(this.scratch, copied, block * BLOCK_BYTES + offset, block * BLOCK_BYTES + offset + take)
      copied += take
      offset = 0
    }
    return this.scratch.toString('utf8', 0, length)
  }

  /** Whether the record at `first` starts with `source[0, length)`. */
  startsWith(first: number, source: Buffer, length: number): boolean {
    let block = first
    for (let i = 0; i < length; i++) {
      if (i > 0 && i % BLOCK_BYTES === 0) block = this.next[block] as number
      if (this.bytes[block * BLOCK_BYTES + (i % BLOCK_BYTES)] !== source[i]) return false
    }
    return true
  }

  release(first: number): void {
    for (let block = first; block !== NONE; block = this.next[block] as number) this.free[this.freeCount++] = block
  }
}
