import { readdirSync, readFileSync } from 'node:fs'

// Recorded provider answers live outside the project, read-only (`../shared/provider-samples/`
// from the project root); the edge cases we wrote ourselves under test/fixtures/providers/.
const PROJECT_ROOT = new URL('../../', import.meta.url)
const RECORDED = new URL('../shared/provider-samples/', PROJECT_ROOT)
const OWN = new URL('test/fixtures/providers/', PROJECT_ROOT)

/** A recorded body, e.g. `recorded('openlibrary/edition-OL7353617M.json')`. */
export function recorded(path: string): unknown {
  return JSON.parse(recordedText(path)) as unknown
}

export function recordedText(path: string): string {
  return readFileSync(new URL(path, RECORDED), 'utf8')
}

/** The recorded files of one provider whose names start with `prefix`. */
export function recordedFiles(provider: 'openlibrary' | 'googlebooks' | 'hardcover', prefix: string): string[] {
  return readdirSync(new URL(`${provider}/`, RECORDED)).filter((name) => name.startsWith(prefix)).sort()
}

/** One of our own edge-case bodies, e.g. `fixture('googlebooks/volumes-empty.json')`. */
export function fixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, OWN), 'utf8')) as unknown
}
