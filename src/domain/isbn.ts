import ISBN from 'isbn3'
import { LRUCache } from 'lru-cache'

export interface NormalizedIsbn {
  readonly isbn13: string
  /** `null` for 979-prefixed ISBNs, which have no ISBN-10 form. */
  readonly isbn10: string | null
}

export type IsbnResult =
  | { readonly ok: true; readonly value: NormalizedIsbn }
  | { readonly ok: false; readonly reason: string }

// isbn3 is lenient about separators (newlines, repeated hyphens); the contract allows only
// hyphens and spaces, so the shape is checked first and isbn3 judges checksum and ranges.
const SEPARATORS = /[- ]/g
const ISBN_SHAPE = /^(?:\d{9}[\dX]|\d{13})$/
const MAX_INPUT_LENGTH = 32

// Popular books are asked for again and again; isbn3's range lookup is done once for each.
const known = new LRUCache<string, NormalizedIsbn>({ max: 10_000 })

export function normalizeIsbn(input: string): IsbnResult {
  if (input.length > MAX_INPUT_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_INPUT_LENGTH} characters` }
  }
  const compact = input.replace(SEPARATORS, '').toUpperCase()
  if (!ISBN_SHAPE.test(compact)) {
    return { ok: false, reason: 'must be 10 digits (the last may be X) or 13 digits, optionally separated by hyphens or spaces' }
  }
  let value = known.get(compact)
  if (value === undefined) {
    const parsed = ISBN.parse(compact)
    if (parsed === null || !parsed.isValid) {
      return { ok: false, reason: 'has a wrong check digit or lies outside any registered ISBN range' }
    }
    value = { isbn13: parsed.isbn13, isbn10: parsed.isbn10 ?? null }
    known.set(compact, value)
  }
  return { ok: true, value }
}
