/**
 * A 32-bit hash of a string: FNV-1a over its UTF-16 code units, then murmur3's finalizer,
 * since FNV-1a's low bits alone are poorly mixed for keys that differ at the end
 * (`reviews:9780441013593`, `reviews:9780441013594`), and both users mask the low bits.
 */
export function hashString(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return mix(hash >>> 0)
}

/** murmur3's 32-bit finalizer. */
export function mix(hash: number): number {
  let h = hash ^ (hash >>> 16)
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
