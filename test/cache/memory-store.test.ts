import { describe, it, expect } from 'vitest'
import type { CacheEntry } from '../../src/cache/cache-entry.js'
import { dataOf } from '../helpers/cache-entry.js'
import { MemoryStore } from '../../src/cache/memory-store.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const HOUR = 3_600_000

function entry(data: unknown = { title: 'Dune' }): CacheEntry {
  return { status: 'ok', json: JSON.stringify(data), storedAt: Date.now(), ttlMs: 60_000 }
}


/** An entry whose estimated size is a little over 2 KB. */
function bigEntry(tag: string): CacheEntry {
  return entry({ tag, blob: 'x'.repeat(2_000) })
}

describe('MemoryStore', () => {
  it('misses keys it never stored', async () => {
    const store = new MemoryStore(1_000_000)
    expect(store.peek('reviews:9780441013593')).toBeUndefined()
    await expect(store.get('reviews:9780441013593')).resolves.toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('returns what was set, through both get and the synchronous peek', async () => {
    const store = new MemoryStore(1_000_000)
    const stored = entry()
    await store.set('reviews:9780441013593', stored, HOUR)
    expect(store.peek('reviews:9780441013593')).toEqual(stored)
    await expect(store.get('reviews:9780441013593')).resolves.toEqual(stored)
    expect(store.peek('publisher:9780441013593')).toBeUndefined()
    expect(store.size).toBe(1)
  })

  it('keeps not_found entries, which have no data', async () => {
    const store = new MemoryStore(1_000_000)
    const notFound: CacheEntry = { status: 'not_found', storedAt: Date.now(), ttlMs: 5_000 }
    await store.set('reviews:9780441013593', notFound, 5_000)
    expect(store.peek('reviews:9780441013593')).toEqual(notFound)
    expect(store.calculatedBytes).toBeGreaterThan(0)
  })

  it('replaces an entry set twice under the same key', async () => {
    const store = new MemoryStore(1_000_000)
    await store.set('k', entry({ v: 1 }), HOUR)
    await store.set('k', entry({ v: 2 }), HOUR)
    expect(dataOf(store.peek('k'))).toEqual({ v: 2 })
    expect(store.size).toBe(1)
  })

  it('counts the writes it kept in its version, and not the ones it refused', async () => {
    const store = new MemoryStore(10_000, { scanResistant: true })
    expect(store.version).toBe(0)
    for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)
    expect(store.version).toBe(4)
    await store.set('e', bigEntry('e'), HOUR)
    expect(store.version).toBe(4)
    await store.set('a', bigEntry('a'), 0)
    expect(store.version).toBe(4)
  })

  it('counts the bytes of the key and of the JSON text', async () => {
    const store = new MemoryStore(1_000_000)
    await store.set('small', entry({ a: 1 }), HOUR)
    const small = store.calculatedBytes
    await store.set('large', bigEntry('large'), HOUR)
    expect(store.calculatedBytes - small).toBeGreaterThan(2_000)
  })

  it('stays within maxBytes by evicting the least recently used entries', async () => {
    const store = new MemoryStore(10_000)
    for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)
    expect(store.size).toBe(4)

    // Reading `a` makes `b` the least recently used entry.
    expect(dataOf(store.peek('a'))).toMatchObject({ tag: 'a' })
    await store.set('e', bigEntry('e'), HOUR)

    expect(store.calculatedBytes).toBeLessThanOrEqual(10_000)
    expect(store.peek('b')).toBeUndefined()
    for (const key of ['a', 'c', 'd', 'e']) expect(dataOf(store.peek(key))).toMatchObject({ tag: key })

    // The peeks above left `a` the oldest; `get` counts as a use too, so now `c` is.
    await store.get('a')
    await store.set('f', bigEntry('f'), HOUR)
    expect(store.peek('c')).toBeUndefined()
    expect(store.peek('a')).toBeDefined()
    expect(store.calculatedBytes).toBeLessThanOrEqual(10_000)
  })

  it('keeps memory bounded whatever the traffic', async () => {
    const store = new MemoryStore(10_000)
    for (let i = 0; i < 200; i++) await store.set(`reviews:${i}`, bigEntry(String(i)), HOUR)
    expect(store.calculatedBytes).toBeLessThanOrEqual(10_000)
    expect(store.size).toBeLessThanOrEqual(4)
    expect(store.peek('reviews:199')).toBeDefined()
    expect(store.peek('reviews:0')).toBeUndefined()
  })

  it('does not store an entry larger than the whole budget, nor evict others for it', async () => {
    const store = new MemoryStore(10_000)
    await store.set('a', bigEntry('a'), HOUR)
    await store.set('huge', entry({ blob: 'x'.repeat(20_000) }), HOUR)
    expect(store.peek('huge')).toBeUndefined()
    expect(store.peek('a')).toBeDefined()
  })

  it('drops an entry once its retention has passed', async () => {
    const store = new MemoryStore(1_000_000)
    await store.set('short', entry(), 30)
    await store.set('long', entry(), HOUR)
    expect(store.peek('short')).toBeDefined()
    await sleep(80)
    expect(store.peek('short')).toBeUndefined()
    await expect(store.get('short')).resolves.toBeUndefined()
    expect(store.peek('long')).toBeDefined()
  })

  describe('scan resistant', () => {
    it('admits every entry while there is room', async () => {
      const store = new MemoryStore(10_000, { scanResistant: true })
      for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)
      for (const key of ['a', 'b', 'c', 'd']) expect(dataOf(store.peek(key))).toMatchObject({ tag: key })
    })

    it('once full, keeps a new key only when it is offered a second time, evicting the least recently used then', async () => {
      const store = new MemoryStore(10_000, { scanResistant: true })
      for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)

      await store.set('e', bigEntry('e'), HOUR)
      expect(store.peek('e')).toBeUndefined()
      for (const key of ['a', 'b', 'c', 'd']) expect(store.peek(key)).toBeDefined()

      await store.set('e', bigEntry('e'), HOUR)
      expect(dataOf(store.peek('e'))).toMatchObject({ tag: 'e' })
      expect(store.peek('a')).toBeUndefined()
      expect(store.calculatedBytes).toBeLessThanOrEqual(10_000)
    })

    it('replaces a key it keeps already, full or not', async () => {
      const store = new MemoryStore(10_000, { scanResistant: true })
      for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)
      await store.set('b', entry({ tag: 'b2', blob: 'y'.repeat(2_000) }), HOUR)
      expect(dataOf(store.peek('b'))).toMatchObject({ tag: 'b2' })
    })

    it('refuses a first offer without looking for the key when the caller says it found none', async () => {
      const store = new MemoryStore(10_000, { scanResistant: true })
      for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)
      // A caller that wrongly says "absent" of a kept key costs only that refresh: the old entry stays.
      await store.set('b', entry({ tag: 'b2', blob: 'y'.repeat(2_000) }), HOUR, true)
      expect(dataOf(store.peek('b'))).toMatchObject({ tag: 'b' })
      await store.set('e', bigEntry('e'), HOUR, true)
      expect(store.peek('e')).toBeUndefined()
      await store.set('e', bigEntry('e'), HOUR, true)
      expect(dataOf(store.peek('e'))).toMatchObject({ tag: 'e' })
    })

    it('lets a crawl of keys asked for once through without evicting what it keeps', async () => {
      const store = new MemoryStore(10_000, { scanResistant: true })
      for (const key of ['a', 'b', 'c', 'd']) await store.set(key, bigEntry(key), HOUR)
      for (let i = 0; i < 500; i++) await store.set(`reviews:${9780000000000 + i}`, bigEntry(String(i)), HOUR)
      // A false admission now and then (~2%) evicts one; most of what was kept stays.
      expect(['a', 'b', 'c', 'd'].filter((key) => store.peek(key) !== undefined).length).toBeGreaterThanOrEqual(2)
      expect(store.calculatedBytes).toBeLessThanOrEqual(10_000)
    })
  })
})
