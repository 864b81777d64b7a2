import { SOURCE_NAMES, isSourceName, type SourceName } from './sources.js'

export type IncludeResult =
  | { readonly ok: true; readonly value: ReadonlySet<SourceName> }
  | { readonly ok: false; readonly reason: string }

const ALL: ReadonlySet<SourceName> = new Set(SOURCE_NAMES)

/**
 * `include=publisher,reviews` (or repeated `include=` parameters) → the sources to call.
 * Absent means all; present but empty or naming an unknown source is the client's mistake.
 */
export function parseInclude(raw: string | readonly string[] | undefined): IncludeResult {
  if (raw === undefined) return { ok: true, value: ALL }
  const names = (typeof raw === 'string' ? [raw] : raw).flatMap((part) => part.split(',')).map((n) => n.trim())
  const unknown = names.filter((name) => !isSourceName(name))
  if (names.length === 0 || unknown.length > 0) {
    const shown = unknown.filter((n) => n !== '').slice(0, 3).map((n) => `"${n.slice(0, 40)}"`).join(', ')
    return {
      ok: false,
      reason: `include must be a comma-separated list of ${SOURCE_NAMES.join(', ')}` + (shown ? `; unknown: ${shown}` : '')
    }
  }
  return { ok: true, value: new Set(names as SourceName[]) }
}
