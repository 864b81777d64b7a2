import ISBN from 'isbn3'
import { LRUCache } from 'lru-cache'
import { Doorkeeper } from './doorkeeper.js'
import { isbn10CheckDigit, isbn13CheckDigit } from './isbn-check-digit.js'

/** Where the ISBN range table places an ISBN: its registration group (a language area or country). */
export interface RegistrationGroup {
  /** The GS1 prefix and group element, e.g. `978-0`. */
  readonly prefix: string
  /** The agency's name for the group, e.g. `English language`. */
  readonly name: string
}

export interface NormalizedIsbn {
  readonly isbn13: string
  /** `null` for 979-prefixed ISBNs, which have no ISBN-10 form. */
  readonly isbn10: string | null
  /** The ISBN-13 with hyphens, when the bundled range table knows its range. */
  readonly hyphenated?: string
  /** Known when the bundled range table knows the group. */
  readonly group?: RegistrationGroup
}

export type IsbnResult =
  | { readonly ok: true; readonly value: NormalizedIsbn }
  | { readonly ok: false; readonly reason: string }

// isbn3 is lenient about separators (newlines, repeated hyphens); the contract allows only
// hyphens and spaces, so the shape is checked here.
const SEPARATORS = /[- ]/g
const ISBN_SHAPE = /^(?:\d{9}[\dX]|\d{13})$/
const ISBN_13_PREFIX = /^97[89]/
const MAX_INPUT_LENGTH = 32

// Popular books are asked for again and again; the range lookup is done once for each. Only
// an ISBN asked for twice within the window is kept: an entry per one-off ISBN (a crawl, a
// miss-only load) lived on for the next 10 000 requests, long enough for the GC to promote it;
// such entries were a third of what a sampled heap profile found alive (bench/README, bench:gc).
const KNOWN_ISBNS = 10_000
const known = new LRUCache<string, NormalizedIsbn>({ max: KNOWN_ISBNS })
const askedBefore = new Doorkeeper(KNOWN_ISBNS)

/**
 * Validity is the check digit alone: the International ISBN Agency assigns new ranges every
 * month, so a range table bundled at build time would refuse real new books until the next
 * deploy. The table only adds what it is good for, the hyphenated form and the group.
 */
export function normalizeIsbn(input: string): IsbnResult {
  if (input.length > MAX_INPUT_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_INPUT_LENGTH} characters` }
  }
  const compact = input.replace(SEPARATORS, '').toUpperCase()
  if (!ISBN_SHAPE.test(compact)) {
    return { ok: false, reason: 'must be 10 digits (the last may be X) or 13 digits, optionally separated by hyphens or spaces' }
  }
  const cached = known.get(compact)
  if (cached !== undefined) return { ok: true, value: cached }
  const checked = compact.length === 10 ? fromIsbn10(compact) : fromIsbn13(compact)
  if (!checked.ok) return checked
  const value = withRange(checked.value)
  if (askedBefore.offer(compact)) known.set(compact, value)
  return { ok: true, value }
}

function fromIsbn10(isbn10: string): IsbnResult {
  const body = isbn10.slice(0, 9)
  const expected = isbn10CheckDigit(body)
  if (isbn10[9] !== expected) return wrongCheckDigit(expected)
  const isbn13 = `978${body}`
  return { ok: true, value: { isbn13: isbn13 + isbn13CheckDigit(isbn13), isbn10 } }
}

function fromIsbn13(isbn13: string): IsbnResult {
  if (!ISBN_13_PREFIX.test(isbn13)) {
    return { ok: false, reason: 'must start with 978 or 979 when it has 13 digits (other EAN-13 numbers are not ISBNs)' }
  }
  const expected = isbn13CheckDigit(isbn13.slice(0, 12))
  if (isbn13[12] !== expected) return wrongCheckDigit(expected)
  const body = isbn13.slice(3, 12)
  return { ok: true, value: { isbn13, isbn10: isbn13.startsWith('978') ? body + isbn10CheckDigit(body) : null } }
}

function wrongCheckDigit(expected: string): IsbnResult {
  return { ok: false, reason: `has a wrong check digit; expected ${expected}` }
}

function withRange(isbn: NormalizedIsbn): NormalizedIsbn {
  const range = ISBN.parse(isbn.isbn13)
  if (range === null || range.isbn13h === undefined || range.group === undefined) return isbn
  const group = range.groupname === undefined ? {} : { group: { prefix: `${range.prefix}-${range.group}`, name: range.groupname } }
  return { ...isbn, hyphenated: range.isbn13h, ...group }
}
