import { describe, it, expect } from 'vitest'
import { measureEntryCost } from '../../bench/cache-entry-cost.js'

describe('bench:cache-entry', () => {
  it('finds the texts of the memory cache off the JS heap: an entry costs the heap far less than its text', async () => {
    const cost = await measureEntryCost(5_000)
    expect(cost.entries).toBe(5_000)
    expect(cost.textBytes).toBeGreaterThan(300)
    expect(cost.heapBytes).toBeLessThan(cost.textBytes / 2)
    // What the budget counts covers the text's blocks and the heap's share.
    expect(cost.countedBytes).toBeGreaterThan(cost.textBytes + cost.heapBytes / 2)
  })
})
