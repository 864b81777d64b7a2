// Defensive readers for provider bodies. Providers are crowd-sourced or in beta: any field can be
// missing, null or of another type, so every read answers `undefined` instead of throwing, and
// the mappings decide what a missing field costs (the field, or the whole section).

export type JsonRecord = Readonly<Record<string, unknown>>

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : []
}

/** A string with its surrounding whitespace removed; empty strings count as missing. */
export function readString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

export function readFiniteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** A count: an integer ≥ 0. Providers send page counts of 0 for "unknown", so `positive` drops them. */
export function readCount(value: unknown, { positive = false } = {}): number | undefined {
  const n = readFiniteNumber(value)
  if (n === undefined || !Number.isInteger(n) || n < 0 || (positive && n === 0)) return undefined
  return n
}

/** A rating on the 0–5 scale every section uses; anything outside it is malformed. */
export function readRating(value: unknown): number | undefined {
  // Hasura sends `numeric` columns as numbers, but as strings when configured to keep precision.
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : readFiniteNumber(value)
  return n !== undefined && Number.isFinite(n) && n >= 0 && n <= 5 ? n : undefined
}

/** The strings of a list, skipping the entries that are not (non-empty) strings. */
export function readStringList(value: unknown): string[] {
  return asArray(value).flatMap((entry) => {
    const text = readString(entry)
    return text === undefined ? [] : [text]
  })
}

/** The first entry of a list that `read` accepts. */
export function firstOf<T>(value: unknown, read: (entry: unknown) => T | undefined): T | undefined {
  for (const entry of asArray(value)) {
    const found = read(entry)
    if (found !== undefined) return found
  }
  return undefined
}

/** Drops the `undefined` members, so optional section fields are absent rather than present and undefined. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
