import { describe, it, expect } from 'vitest'
import type { CacheEntry, CacheWindows } from '../../src/cache/cache-entry.js'
import type { CacheStore } from '../../src/cache/cache-store.js'
import { MemoryStore } from '../../src/cache/memory-store.js'
import { TieredStore } from '../../src/cache/tiered-store.js'

const KEY = 'reviews:9780441013593'
const WINDOWS: CacheWindows = { staleWhileRevalidateMs: 30_000, maxStaleMs: 300_000 }
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A stand-in for Redis: a map that counts calls, and answers nothing while `down`. */
class FakeSharedStore implements CacheStore {
  readonly entries = new Map<string, CacheEntry>()
  readonly gets: string[] = []
  readonly sets: Array<{ key: string; entry: CacheEntry; retentionMs: number }> = []
  down = false

  async get(key: string): Promise<CacheEntry | undefined> {
    this.gets.push(key)
    return this.down ? undefined : this.entries.get(key)
  }

  async set(key: string, entry: CacheEntry, retentionMs: number): Promise<void> {
    this.sets.push({ key, entry, retentionMs })
    if (!this.down) this.entries.set(key, entry)
  }
}

function okEntry(data: unknown = { title: 'Dune' }, storedAt = Date.now()): CacheEntry {
  return { status: 'ok', json: JSON.stringify(data), storedAt, ttlMs: 60_000 }
}

function setup(): { memory: MemoryStore; shared: FakeSharedStore; store: TieredStore } {
  const memory = new MemoryStore(1_000_000)
  const shared = new FakeSharedStore()
  return { memory, shared, store: new TieredStore(memory, shared, WINDOWS) }
}

describe('TieredStore', () => {
  it('answers a memory hit without touching the shared store', async () => {
    const { memory, shared, store } = setup()
    const entry = okEntry()
    await memory.set(KEY, entry, 60_000)
    await expect(store.get(KEY)).resolves.toEqual(entry)
    expect(store.peek(KEY)).toEqual(entry)
    expect(shared.gets).toEqual([])
  })

  it('peeks at memory only, never at the shared store', () => {
    const { shared, store } = setup()
    shared.entries.set(KEY, okEntry())
    expect(store.peek(KEY)).toBeUndefined()
    expect(shared.gets).toEqual([])
  })

  it('falls back to the shared store on a memory miss and warms memory with its answer', async () => {
    const { memory, shared, store } = setup()
    const entry = okEntry({ title: 'from redis' })
    shared.entries.set(KEY, entry)

    await expect(store.get(KEY)).resolves.toEqual(entry)
    expect(shared.gets).toEqual([KEY])
    expect(memory.peek(KEY)).toEqual(entry)

    // The second read is a memory hit.
    await expect(store.get(KEY)).resolves.toEqual(entry)
    expect(store.peek(KEY)).toEqual(entry)
    expect(shared.gets).toHaveLength(1)
  })

  it('misses when neither tier has the key', async () => {
    const { memory, shared, store } = setup()
    await expect(store.get(KEY)).resolves.toBeUndefined()
    expect(shared.gets).toEqual([KEY])
    expect(memory.size).toBe(0)
  })

  it('treats a shared store that is down (answers undefined) as a miss', async () => {
    const { memory, shared, store } = setup()
    shared.entries.set(KEY, okEntry())
    shared.down = true
    await expect(store.get(KEY)).resolves.toBeUndefined()
    expect(memory.peek(KEY)).toBeUndefined()
  })

  it('writes both tiers on set, with the given retention', async () => {
    const { memory, shared, store } = setup()
    const entry = okEntry()
    await store.set(KEY, entry, 360_000)
    expect(memory.peek(KEY)).toEqual(entry)
    expect(shared.sets).toEqual([{ key: KEY, entry, retentionMs: 360_000 }])
    expect(shared.entries.get(KEY)).toEqual(entry)
  })

  it('still fills memory when the shared store is down', async () => {
    const { memory, shared, store } = setup()
    shared.down = true
    await store.set(KEY, okEntry(), 360_000)
    expect(memory.peek(KEY)).toBeDefined()
    await expect(store.get(KEY)).resolves.toBeDefined()
    expect(shared.gets).toEqual([])
  })

  it('keeps a warmed entry in memory only for what is left of its retention', async () => {
    const { memory, shared, store } = setup()
    // Retention is ttl (1 040 ms) + max(SWR, maxStale) of 0: about 40 ms are left.
    const tiered = new TieredStore(memory, shared, { staleWhileRevalidateMs: 0, maxStaleMs: 0 })
    shared.entries.set(KEY, { status: 'ok', json: '"old"', storedAt: Date.now() - 1_000, ttlMs: 1_040 })
    await expect(tiered.get(KEY)).resolves.toBeDefined()
    expect(memory.peek(KEY)).toBeDefined()
    await sleep(150)
    expect(memory.peek(KEY)).toBeUndefined()
    expect(store.peek(KEY)).toBeUndefined()
  })

  it('returns a shared entry past its retention without warming memory with it', async () => {
    const { memory, shared, store } = setup()
    const ancient = okEntry('ancient', Date.now() - 60_000 - 300_000 - 1_000)
    shared.entries.set(KEY, ancient)
    await expect(store.get(KEY)).resolves.toEqual(ancient)
    expect(memory.peek(KEY)).toBeUndefined()
  })
})
