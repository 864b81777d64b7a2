import { PROVIDER_NAMES, PROVIDER_SECTIONS, isProviderName, type ProviderName } from './domain/providers.js'
import { SOURCE_NAMES, type SourceName } from './domain/sources.js'

/** Settings of the public providers; only the ones some section uses are required to be complete. */
export interface ProvidersConfig {
  /** `batchMax`: ISBNs per batch call (`/api/books`, `/search.json`); 0 = one call per book. */
  readonly openLibrary: { readonly url: URL; readonly contact: string | undefined; readonly maxRps: number; readonly batchMax: number }
  readonly googleBooks: { readonly url: URL; readonly apiKey: string | undefined; readonly maxRps: number }
  /** `batchMax`: ISBNs per editions query (`isbn_13: {_in: […]}`); 0 = one query per book. */
  readonly hardcover: { readonly url: URL; readonly token: string | undefined; readonly maxRps: number; readonly batchMax: number }
}

/** Which providers serve each section, in order; `undefined` = none of the *_PROVIDERS set (native or demo, as before). */
export type SectionProviders = Readonly<Record<SourceName, readonly ProviderName[]>>

/** The part of config.ts's reader this module uses: the environment is read there only. */
export interface ProviderEnvReader {
  optionalString(name: string): string | undefined
  number(name: string, fallback: number, min: number, max: number): number
  integer(name: string, fallback: number, min: number, max: number): number
  httpUrl(name: string): URL | undefined
}

const SECTION_VARIABLES: Readonly<Record<SourceName, string>> = {
  publisher: 'PUBLISHER_PROVIDERS',
  reviews: 'REVIEWS_PROVIDERS',
  recommendations: 'RECOMMENDATIONS_PROVIDERS'
}

export function readProvidersConfig(read: ProviderEnvReader): ProvidersConfig {
  return {
    openLibrary: {
      url: read.httpUrl('OPENLIBRARY_URL') ?? new URL('https://openlibrary.org'),
      contact: read.optionalString('OPENLIBRARY_CONTACT'),
      // Open Library's guidance: about 3 requests per second for an identified client.
      maxRps: read.number('OPENLIBRARY_MAX_RPS', 3, 0.01, 1000),
      // The maintainers' suggestion: about 25 ISBNs a call.
      batchMax: read.integer('OPENLIBRARY_BATCH_MAX', 25, 0, 50)
    },
    googleBooks: {
      url: read.httpUrl('GOOGLEBOOKS_URL') ?? new URL('https://www.googleapis.com/books/v1'),
      apiKey: read.optionalString('GOOGLEBOOKS_API_KEY'),
      // Google limits per key and per day (1000 by default); this only keeps bursts polite.
      maxRps: read.number('GOOGLEBOOKS_MAX_RPS', 2, 0.01, 1000)
    },
    hardcover: {
      url: read.httpUrl('HARDCOVER_URL') ?? new URL('https://api.hardcover.app/v1/graphql'),
      token: read.optionalString('HARDCOVER_TOKEN'),
      // Users of Hardcover's API quote 60 requests a minute.
      maxRps: read.number('HARDCOVER_MAX_RPS', 1, 0.01, 1000),
      batchMax: read.integer('HARDCOVER_BATCH_MAX', 25, 0, 100)
    }
  }
}

/**
 * `BOOK_PROVIDERS` for every section, `PUBLISHER_PROVIDERS` & co. per section (ordered,
 * comma-separated). A section without a list of its own takes BOOK_PROVIDERS' names that can
 * serve it (`BOOK_PROVIDERS=openlibrary,googlebooks` leaves Google out of recommendations),
 * else `native`. A per-section list is taken as written: a provider that cannot serve it is a
 * mistake. Every problem goes into `problems`.
 */
export function readSectionProviders(read: ProviderEnvReader, providers: ProvidersConfig, problems: string[]): SectionProviders | undefined {
  const book = readList(read, 'BOOK_PROVIDERS', problems)
  const own = Object.fromEntries(SOURCE_NAMES.map((s) => [s, readList(read, SECTION_VARIABLES[s], problems)])) as Record<SourceName, ProviderName[] | undefined>
  if (book === undefined && SOURCE_NAMES.every((s) => own[s] === undefined)) return undefined

  const sections = {} as Record<SourceName, ProviderName[]>
  for (const section of SOURCE_NAMES) {
    const explicit = own[section]
    const names = explicit ?? book?.filter((name) => PROVIDER_SECTIONS[name].includes(section)) ?? ['native']
    const incapable = (explicit ?? book ?? []).filter((name) => !PROVIDER_SECTIONS[name].includes(section))
    if (explicit !== undefined && incapable.length > 0) {
      problems.push(`${SECTION_VARIABLES[section]}: ${incapable.join(', ')} cannot serve ${section} (${describeCapabilities(incapable)})`)
    } else if (names.length === 0) {
      problems.push(`BOOK_PROVIDERS: none of ${(book ?? []).join(', ')} can serve ${section}; set ${SECTION_VARIABLES[section]} too`)
    }
    sections[section] = names
  }

  const used = new Set(SOURCE_NAMES.flatMap((s) => sections[s]))
  const { contact } = providers.openLibrary
  if (used.has('openlibrary') && contact === undefined) {
    problems.push('OPENLIBRARY_CONTACT must be set to use Open Library: an e-mail address or URL for the User-Agent it requires')
  } else if (used.has('openlibrary') && contact !== undefined && !/@|^https?:\/\//.test(contact)) {
    problems.push(`OPENLIBRARY_CONTACT must be an e-mail address or an http(s) URL, got "${contact}"`)
  }
  if (used.has('googlebooks') && providers.googleBooks.apiKey === undefined) {
    problems.push('GOOGLEBOOKS_API_KEY must be set to use Google Books (keyless calls share a quota that is nearly always spent)')
  }
  if (used.has('hardcover') && providers.hardcover.token === undefined) {
    problems.push('HARDCOVER_TOKEN must be set to use Hardcover (a bearer token from hardcover.app/account/api)')
  }
  return sections
}

function readList(read: ProviderEnvReader, variable: string, problems: string[]): ProviderName[] | undefined {
  const value = read.optionalString(variable)
  if (value === undefined) return undefined
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
  const unknown = names.filter((name) => !isProviderName(name))
  if (unknown.length > 0) {
    problems.push(`${variable} names unknown provider${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${PROVIDER_NAMES.join(', ')})`)
  }
  const known = names.filter(isProviderName)
  const repeated = known.filter((name, i) => known.indexOf(name) !== i)
  if (repeated.length > 0) problems.push(`${variable} lists ${[...new Set(repeated)].join(', ')} more than once`)
  if (names.length === 0) problems.push(`${variable} must name at least one provider (${PROVIDER_NAMES.join(', ')})`)
  return [...new Set(known)]
}

function describeCapabilities(names: readonly ProviderName[]): string {
  return names.map((name) => `${name} serves ${PROVIDER_SECTIONS[name].join(', ')}`).join('; ')
}
