import { toIsbn13 } from '../../src/upstream/providers/normalize.js'
import { json, startProviderServer, type FakeProvider, type ProviderAnswer, type ProviderRequest, type RateLimit, type RoutedRequest } from './fake-provider-server.js'
import { recorded, recordedFiles, recordedText } from './provider-samples.js'

export type OpenLibraryCallKind = 'isbn' | 'edition' | 'work' | 'ratings' | 'author' | 'subject' | 'search' | 'apiBooks' | 'forbidden' | 'unknown'
const KINDS: readonly OpenLibraryCallKind[] = ['isbn', 'edition', 'work', 'ratings', 'author', 'subject', 'search', 'apiBooks', 'forbidden', 'unknown']

/** Bodies by id: `editions.OL7353617M`, `works.OL45804W`, `subjects.love`, `searches[q]`, `apiBooks[isbn13]`. */
export interface OpenLibraryData {
  readonly editions: Readonly<Record<string, unknown>>
  readonly works: Readonly<Record<string, unknown>>
  readonly ratings: Readonly<Record<string, unknown>>
  readonly authors: Readonly<Record<string, unknown>>
  readonly subjects: Readonly<Record<string, unknown>>
  readonly searches: Readonly<Record<string, unknown>>
  readonly apiBooks: Readonly<Record<string, unknown>>
}

export interface FakeOpenLibraryOptions {
  /** Added to (and overriding) the recorded data, table by table. */
  readonly data?: Partial<OpenLibraryData>
  readonly latencyMs?: number
  readonly rateLimit?: RateLimit
}

/** The recorded Open Library answers (provider-samples/openlibrary), by the ids they answer for. */
export function recordedOpenLibraryData(): OpenLibraryData {
  const apiBooks: Record<string, unknown> = {}
  for (const file of recordedFiles('openlibrary', 'api-books-jscmd-data-')) {
    for (const [bibkey, entry] of Object.entries(recorded(`openlibrary/${file}`) as Record<string, unknown>)) {
      const isbn13 = toIsbn13(bibkey.replace(/^ISBN:/, ''))
      if (isbn13 !== undefined) apiBooks[isbn13] = entry
    }
  }
  return {
    editions: { OL7353617M: recorded('openlibrary/edition-OL7353617M.json') },
    works: { OL45804W: recorded('openlibrary/work-OL45804W.json'), OL27482W: recorded('openlibrary/work-OL27482W.json') },
    ratings: { OL18020194W: recorded('openlibrary/ratings-OL18020194W.json'), OL27482W: recorded('openlibrary/ratings-OL27482W.json') },
    authors: { OL34184A: recorded('openlibrary/author-OL34184A.json') },
    subjects: { love: recorded('openlibrary/subjects-love.json') },
    searches: { '9788466358804': recorded('openlibrary/search-q-9788466358804.json') },
    apiBooks
  }
}

/**
 * A fake openlibrary.org: `/isbn/{isbn}.json` (a 302 to `/books/{OLID}.json`), `/books/…`,
 * `/works/…`, `/works/…/ratings.json`, `/authors/…`, `/subjects/…`, `/search.json`, `/api/books`.
 * Like the real one it answers 403 with an nginx HTML page to a User-Agent without contact
 * details, and 429 with its JSON body and `Retry-After` beyond `rateLimit`.
 */
export function startFakeOpenLibrary(options: FakeOpenLibraryOptions = {}): Promise<FakeProvider<OpenLibraryCallKind>> {
  const base = recordedOpenLibraryData()
  const data: OpenLibraryData = Object.fromEntries(
    Object.entries(base).map(([table, rows]) => [table, { ...rows, ...options.data?.[table as keyof OpenLibraryData] }])
  ) as unknown as OpenLibraryData
  const forbidden = recordedText('openlibrary/error-403.html')
  const tooMany = recorded('openlibrary/error-429.json')
  return startProviderServer({
    kinds: KINDS,
    route: (request) => routeOpenLibrary(request, data, forbidden),
    tooManyRequests: (seconds) => json(429, tooMany, { 'retry-after': String(seconds) })
  }, options)
}

function routeOpenLibrary(request: ProviderRequest, data: OpenLibraryData, forbidden: string): RoutedRequest<OpenLibraryCallKind> {
  // The contact can be an e-mail address or a URL: `AppName/1.0 (url; contact@example.org)`.
  if (!/@|https?:\/\//.test(request.headers['user-agent'] ?? '')) return { kind: 'forbidden', answer: { status: 403, body: forbidden } }
  const path = request.url.pathname
  const params = request.url.searchParams
  let match: RegExpExecArray | null
  if ((match = /^\/isbn\/([\dXx-]+)\.json$/.exec(path))) {
    const olid = editionIdByIsbn(data, match[1] ?? '')
    return { kind: 'isbn', answer: olid === undefined ? missing(path) : { status: 302, headers: { location: `/books/${olid}.json` } } }
  }
  if ((match = /^\/books\/(OL\d+M)\.json$/.exec(path))) return { kind: 'edition', answer: found(data.editions, match[1], path) }
  if ((match = /^\/works\/(OL\d+W)\/ratings\.json$/.exec(path))) return { kind: 'ratings', answer: found(data.ratings, match[1], path) }
  if ((match = /^\/works\/(OL\d+W)\.json$/.exec(path))) return { kind: 'work', answer: found(data.works, match[1], path) }
  if ((match = /^\/authors\/(OL\d+A)\.json$/.exec(path))) return { kind: 'author', answer: found(data.authors, match[1], path) }
  if ((match = /^\/subjects\/([^/]+)\.json$/.exec(path))) return { kind: 'subject', answer: subject(data, decodeURIComponent(match[1] ?? ''), params) }
  if (path === '/search.json') return { kind: 'search', answer: search(data, params) }
  if (path === '/api/books') return { kind: 'apiBooks', answer: apiBooks(data, params) }
  return { kind: 'unknown', answer: missing(path) }
}

function editionIdByIsbn(data: OpenLibraryData, isbn: string): string | undefined {
  const wanted = toIsbn13(isbn)
  return Object.entries(data.editions).find(([, edition]) => {
    const record = edition as { isbn_10?: unknown; isbn_13?: unknown }
    return [record.isbn_10, record.isbn_13].flatMap((list) => (Array.isArray(list) ? list : [])).some((id) => toIsbn13(id) === wanted)
  })?.[0]
}

function found(table: Readonly<Record<string, unknown>>, id: string | undefined, path: string): ProviderAnswer {
  const body = id === undefined ? undefined : table[id]
  return body === undefined ? missing(path) : json(200, body)
}

function missing(path: string): ProviderAnswer {
  return json(404, { error: 'notfound', key: path.replace(/\.json$/, '') })
}

/**
 * `jscmd=details` as Open Library's dynlinks.py makes it: the edition record under `details`,
 * its authors as `{key, name}`, matched on the ISBN forms the edition lists (its `isbn_` index),
 * not converted between ISBN-10 and ISBN-13.
 */
function apiBooksDetails(data: OpenLibraryData, params: URLSearchParams): ProviderAnswer {
  const entries = (params.get('bibkeys') ?? '').split(',').flatMap((bibkey) => {
    const wanted = bibkey.replace(/^ISBN:/i, '').replace(/-/g, '')
    const found = Object.entries(data.editions).find(([, edition]) => {
      const record = edition as { isbn_10?: unknown; isbn_13?: unknown }
      return [record.isbn_10, record.isbn_13].flatMap((list) => (Array.isArray(list) ? list : [])).some((id) => String(id).replace(/-/g, '') === wanted)
    })
    if (found === undefined) return []
    const [olid, edition] = found as [string, { authors?: Array<{ key: string }> }]
    const authors = (edition.authors ?? []).map(({ key }) => ({ key, name: (data.authors[key.replace(/^\/authors\//, '')] as { name?: string } | undefined)?.name ?? '' }))
    const key = `/books/${olid}`
    return [[bibkey, { bib_key: bibkey, info_url: `https://openlibrary.org${key}`, preview: 'noview', details: { ...edition, key, authors } }] as const]
  })
  return json(200, Object.fromEntries(entries))
}

/** Unknown subjects are not an error at Open Library: an empty subject. */
function subject(data: OpenLibraryData, slug: string, params: URLSearchParams): ProviderAnswer {
  const body = (data.subjects[slug] ?? { key: `/subjects/${slug}`, name: slug, work_count: 0, works: [] }) as { works?: unknown }
  const limit = Number(params.get('limit') ?? 12)
  return json(200, { ...body, works: Array.isArray(body.works) ? body.works.slice(0, limit) : body.works })
}

function search(data: OpenLibraryData, params: URLSearchParams): ProviderAnswer {
  const q = params.get('q') ?? params.get('isbn') ?? ''
  return json(200, data.searches[q] ?? { numFound: 0, start: 0, numFoundExact: true, num_found: 0, q, offset: null, docs: [] })
}

/** Keyed by the bibkeys as sent; without `format=json` the real API answers JavaScript. */
function apiBooks(data: OpenLibraryData, params: URLSearchParams): ProviderAnswer {
  if (params.get('jscmd') === 'details') return apiBooksDetails(data, params)
  const entries = (params.get('bibkeys') ?? '').split(',').flatMap((bibkey) => {
    const isbn13 = toIsbn13(bibkey.replace(/^ISBN:/i, ''))
    const entry = isbn13 === undefined ? undefined : data.apiBooks[isbn13]
    return entry === undefined ? [] : [[bibkey, entry] as const]
  })
  const body = Object.fromEntries(entries)
  if (params.get('format') === 'json') return json(200, body)
  return { status: 200, body: `var _OLBookInfo = ${JSON.stringify(body)};`, headers: { 'content-type': 'application/javascript' } }
}
