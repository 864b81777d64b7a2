import type { RegistrationGroup } from './isbn.js'
import type { CacheState, SourceStatus } from './outcome.js'
import type { SourceName } from './sources.js'

/** `sources.<name>` as clients see it: the outcome without the section data. */
export interface SourceReport {
  status: SourceStatus
  durationMs: number
  httpStatus?: number
  cache?: CacheState
  detail?: string
  retried?: boolean
  hedged?: boolean
  coalesced?: boolean
  /** The upstream call carried this many ISBNs: lookups of other books shared it. */
  batched?: number
  /** Provider mode only: which provider answered (`native`, `openlibrary`, `googlebooks`, `hardcover`). */
  provider?: string
  /** Provider mode, merged sections: field → the provider it was filled from. */
  filledFrom?: Readonly<Record<string, string>>
}

export type SourceReports = Record<SourceName, SourceReport>

/** The body of a successful `GET /books/{isbn}` (see openapi.yaml). */
export interface BookView {
  isbn: string
  isbn10: string | null
  /** From the bundled ISBN range table; `null` for a range newer than the table. */
  isbnHyphenated: string | null
  registrationGroup: RegistrationGroup | null
  publisher: unknown
  reviews: unknown
  recommendations: unknown
  sources: SourceReports
  complete: boolean
}
