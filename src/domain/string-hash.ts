const FNV_OFFSET = 0x811c9dc5

/**
 * A 32-bit hash of a string: FNV-1a over its UTF-16 code units, then murmur3's finalizer,
 * since FNV-1a's low bits alone are poorly mixed for keys that differ at the end
 * (`reviews:9780441013593`, `reviews:9780441013594`), and both users mask the low bits.
 */
export function hashString(key: string): number {
  return mix(fnv1a(key, FNV_OFFSET))
}

/**
 * `hashString(prefix + key)` for many keys under one prefix, without building their strings:
 * FNV-1a runs over the prefix once, here, and over each key as it comes.
 */
export function prefixedHasher(prefix: string): (key: string) => number {
  const state = fnv1a(prefix, FNV_OFFSET)
  return (key) => mix(fnv1a(key, state))
}

function fnv1a(text: string, state: number): number {
  let hash = state
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** murmur3's 32-bit finalizer. */
export function mix(hash: number): number {
  let h = hash ^ (hash >>> 16)
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
