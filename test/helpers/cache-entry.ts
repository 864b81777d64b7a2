import type { CacheEntry } from '../../src/cache/cache-entry.js'

/** The data a stored entry holds (entries keep it as JSON text), or undefined for none. */
export const dataOf = (stored: CacheEntry | undefined): unknown => (stored?.json === undefined ? undefined : JSON.parse(stored.json))
