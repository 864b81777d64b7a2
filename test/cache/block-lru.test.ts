import { describe, it, expect } from 'vitest'
import { BlockLru } from '../../src/cache/block-lru.js'
import type { CacheEntry } from '../../src/cache/cache-entry.js'

const HOUR = 3_600_000
const ok = (json: string, storedAt = 1_700_000_000_000): CacheEntry => ({ status: 'ok', json, storedAt, ttlMs: 60_000 })

describe('BlockLru', () => {
  it('gives back texts of one block, of many blocks and of non-ASCII characters as they were stored', () => {
    const lru = new BlockLru(100_000)
    const texts = {
      short: '{"a":1}',
      exactBlock: `"${'x'.repeat(254)}"`,
      long: JSON.stringify({ items: Array.from({ length: 40 }, (_, i) => ({ i, text: 'lorem ipsum dolor sit amet' })) }),
      unicode: JSON.stringify({ title: 'Cien años de soledad — 百年孤独 📚', text: 'é'.repeat(300) })
    }
    for (const [key, json] of Object.entries(texts)) lru.set(key, ok(json), HOUR, 0)
    for (const [key, json] of Object.entries(texts)) expect(lru.get(key)).toEqual(ok(json))
  })

  it('keeps not_found entries with and without a detail, and their times', () => {
    const lru = new BlockLru(10_000)
    lru.set('plain', { status: 'not_found', storedAt: 5, ttlMs: 7 }, HOUR, 0)
    lru.set('detailed', { status: 'not_found', detail: 'another book’s record', storedAt: 6, ttlMs: 8 }, HOUR, 0)
    expect(lru.get('plain')).toStrictEqual({ status: 'not_found', storedAt: 5, ttlMs: 7 })
    expect(lru.get('detailed')).toStrictEqual({ status: 'not_found', detail: 'another book’s record', storedAt: 6, ttlMs: 8 })
  })

  it('counts the whole blocks of key and text plus the overhead it is told, and gives them back on replacement and eviction', () => {
    const lru = new BlockLru(2_048)
    lru.set('a', ok('x'.repeat(300)), HOUR, 10)
    expect(lru.calculatedSize).toBe(2 * 256 + 10)
    expect(BlockLru.sizeOf('a', ok('x'.repeat(300)), 10)).toBe(2 * 256 + 10)
    // The key counts: 255 bytes of text fit one block with a one-byte key, not with a two-byte one.
    expect(BlockLru.sizeOf('a', ok('x'.repeat(255)), 0)).toBe(256)
    expect(BlockLru.sizeOf('ab', ok('x'.repeat(255)), 0)).toBe(512)
    lru.set('a', ok('y'.repeat(100)), HOUR, 10)
    expect(lru.calculatedSize).toBe(256 + 10)
    expect(lru.size).toBe(1)
    // Eight blocks in all: the next entry of seven with its key needs the one `a` holds.
    lru.set('b', ok('z'.repeat(7 * 256 - 1)), HOUR, 0)
    expect(lru.get('a')).toBeUndefined()
    expect(lru.get('b')?.json).toBe('z'.repeat(7 * 256 - 1))
    expect(lru.calculatedSize).toBe(7 * 256)
  })

  it('evicts the least recently used entry, a get counting as a use and `has` not', () => {
    const lru = new BlockLru(3 * 256)
    for (const key of ['a', 'b', 'c']) lru.set(key, ok(`"${key}"`), HOUR, 0)
    expect(lru.get('a')).toBeDefined()
    expect(lru.has('b')).toBe(true)
    lru.set('d', ok('"d"'), HOUR, 0)
    expect(lru.has('b')).toBe(false)
    expect(['a', 'c', 'd'].every((key) => lru.has(key))).toBe(true)
  })

  it('refuses an entry larger than its whole budget, dropping the one it would have replaced', () => {
    const lru = new BlockLru(1_024)
    lru.set('a', ok('"small"'), HOUR, 0)
    lru.set('b', ok('"kept"'), HOUR, 0)
    expect(lru.set('a', ok('x'.repeat(2_000)), HOUR, 0)).toBe(false)
    expect(lru.get('a')).toBeUndefined()
    expect(lru.get('b')?.json).toBe('"kept"')
  })

  it('forgets an entry once its retention is over', () => {
    const lru = new BlockLru(10_000)
    lru.set('a', ok('1'), 50, 0, 1_000)
    expect(lru.get('a', 1_049)).toBeDefined()
    expect(lru.has('a', 1_050)).toBe(false)
    expect(lru.get('a', 1_050)).toBeUndefined()
    expect(lru.size).toBe(0)
    expect(lru.calculatedSize).toBe(0)
  })

  it('finds every key among thousands whose hashes share probe runs, also after others left them', () => {
    // 64 blocks: an index of 128 positions, so 40 keys of a small store collide often.
    const lru = new BlockLru(64 * 256)
    const keys = Array.from({ length: 40 }, (_, i) => `reviews:97804410135${String(i).padStart(2, '0')}`)
    for (const key of keys) lru.set(key, ok(JSON.stringify(key)), HOUR, 0)
    for (const key of keys.filter((_, i) => i % 3 === 0)) lru.set(key, ok('"x"'), 0, 0, performance.now() - 1)
    for (const [i, key] of keys.entries()) {
      if (i % 3 === 0) expect(lru.get(key)).toBeUndefined()
      else expect(lru.get(key)?.json).toBe(JSON.stringify(key))
    }
    expect(lru.size).toBe(26)
    expect(lru.get('reviews:9780441013599')).toBeUndefined()
  })

  it('reuses slots and blocks under churn without mixing entries up', () => {
    const lru = new BlockLru(64 * 256)
    for (let i = 0; i < 5_000; i++) {
      lru.set(`k${i}`, ok(JSON.stringify({ i, pad: 'p'.repeat(i % 700) })), HOUR, 32)
      expect(lru.calculatedSize).toBeLessThanOrEqual(64 * 256)
    }
    // The last entries are there and whole; the first are long gone.
    for (let i = 4_990; i < 5_000; i++) expect(JSON.parse(lru.get(`k${i}`)?.json ?? 'null')).toEqual({ i, pad: 'p'.repeat(i % 700) })
    expect(lru.get('k0')).toBeUndefined()
  })
})
