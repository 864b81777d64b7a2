import { retentionMs, type CacheEntry, type CacheWindows } from './cache-entry.js'
import type { CacheStore } from './cache-store.js'
import type { MemoryStore } from './memory-store.js'

/** Memory first, the shared store behind it: a Redis hit warms this replica's memory. */
export class TieredStore implements CacheStore {
  constructor(
    private readonly memory: MemoryStore,
    private readonly shared: CacheStore,
    private readonly windows: CacheWindows
  ) {}

  peek(key: string, hash?: number): CacheEntry | undefined {
    return this.memory.peek(key, hash)
  }

  get version(): number {
    return this.memory.version
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const local = this.memory.peek(key)
    if (local !== undefined) return local
    const entry = await this.shared.get(key)
    if (entry !== undefined) {
      const left = entry.storedAt + retentionMs(entry, this.windows) - Date.now()
      if (left > 0) await this.memory.set(key, entry, left)
    }
    return entry
  }

  async set(key: string, entry: CacheEntry, retentionMs: number, absent = false, hash?: number): Promise<void> {
    await this.memory.set(key, entry, retentionMs, absent, hash)
    // Not awaited by callers on the hot path: a slow Redis must not slow the answer.
    await this.shared.set(key, entry, retentionMs)
  }
}
