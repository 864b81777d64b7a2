import { Kind, parse, type OperationDefinitionNode } from 'graphql'
import { json, startProviderServer, type FakeProvider, type ProviderAnswer, type ProviderRequest, type RoutedRequest } from './fake-provider-server.js'
import { fixture, recorded } from './provider-samples.js'

export type HardcoverCallKind = 'editions' | 'user_books' | 'search' | 'unauthorized' | 'invalid'

export interface HardcoverData {
  /** Edition records as `EditionsByIsbn` selects them, matched on `isbn_13` / `isbn_10`. */
  readonly editions: readonly Record<string, unknown>[]
  /** `user_books` rows with `book_id` (or `book.id`), matched on `$bookId`. */
  readonly userBooks: readonly Record<string, unknown>[]
  /** `search.results` by lower-cased query. */
  readonly searches: Readonly<Record<string, unknown>>
}

export interface FakeHardcoverOptions {
  /** The bearer token calls must carry. */
  readonly token: string
  readonly data?: Partial<HardcoverData>
  readonly latencyMs?: number
}

/**
 * The recorded Hardcover answers plus our `EditionsByIsbn` / `ReviewsByBook` fixtures: the
 * recordings are by-title and by-user queries whose rows lack the fields our queries select.
 */
export function recordedHardcoverData(): HardcoverData {
  const ours = fixture('hardcover/graphql-editions-9780765365293.json') as { data: { editions: Record<string, unknown>[] } }
  const oathbringer = recorded('hardcover/graphql-editions-title-Oathbringer.json') as { editions: Record<string, unknown>[] }
  const recordedReviews = recorded('hardcover/graphql-user_books-reviews-by-username.json') as { data: { user_books: Record<string, unknown>[] } }
  const ourReviews = fixture('hardcover/graphql-reviews-by-book.json') as { data: { user_books: Record<string, unknown>[] } }
  const bookId = (ours.data.editions[0]?.book as { id?: number } | undefined)?.id
  return {
    editions: [...ours.data.editions, ...oathbringer.editions],
    userBooks: [...recordedReviews.data.user_books, ...ourReviews.data.user_books.map((row) => ({ ...row, book_id: bookId }))],
    searches: { 'lord of the rings': (recorded('hardcover/graphql-search-book-lord-of-the-rings.json') as { search: { results: unknown } }).search.results }
  }
}

/** A fake `https://api.hardcover.app`: `POST /v1/graphql` with `authorization: Bearer <token>`. */
export function startFakeHardcover(options: FakeHardcoverOptions): Promise<FakeProvider<HardcoverCallKind>> {
  const data = { ...recordedHardcoverData(), ...options.data }
  return startProviderServer({
    kinds: ['editions', 'user_books', 'search', 'unauthorized', 'invalid'],
    route: (request) => routeHardcover(request, data, options.token),
    // Users quote about 60 requests a minute; the body of Hardcover's 429 is not recorded.
    tooManyRequests: (seconds) => json(429, { error: 'Throttled' }, { 'retry-after': String(seconds) })
  }, options)
}

function routeHardcover(request: ProviderRequest, data: HardcoverData, token: string): RoutedRequest<HardcoverCallKind> {
  if (request.method !== 'POST' || request.url.pathname !== '/v1/graphql') return { kind: 'invalid', answer: json(404, { error: 'Not Found' }) }
  if (request.headers.authorization !== `Bearer ${token}`) return { kind: 'unauthorized', answer: json(401, { error: 'Unable to verify token' }) }
  let field: string | undefined
  let variables: Record<string, unknown>
  try {
    const body = JSON.parse(request.body) as { query?: unknown; variables?: Record<string, unknown> }
    const operation = parse(String(body.query)).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    const selection = operation?.selectionSet.selections[0]
    field = selection?.kind === Kind.FIELD ? selection.name.value : undefined
    variables = body.variables ?? {}
  } catch (error) {
    return { kind: 'invalid', answer: graphqlError(`invalid request: ${(error as Error).message}`) }
  }
  switch (field) {
    case 'editions': return { kind: 'editions', answer: editions(data, variables) }
    case 'user_books': return { kind: 'user_books', answer: userBooks(data, variables) }
    case 'search': return { kind: 'search', answer: search(data, variables) }
    default: return { kind: 'invalid', answer: graphqlError(`field '${field ?? '?'}' not found in type: 'query_root'`) }
  }
}

function editions(data: HardcoverData, variables: Record<string, unknown>): ProviderAnswer {
  const { isbn13, isbn10, limit } = variables
  if (!Array.isArray(isbn13) || !Array.isArray(isbn10)) return graphqlError('expecting list values for variables isbn13 and isbn10')
  const rows = data.editions.filter((edition) => isbn13.includes(edition.isbn_13) || isbn10.includes(edition.isbn_10))
  return json(200, { data: { editions: rows.slice(0, typeof limit === 'number' ? limit : undefined) } })
}

function userBooks(data: HardcoverData, variables: Record<string, unknown>): ProviderAnswer {
  const { bookId, limit } = variables
  if (typeof bookId !== 'number') return graphqlError('expecting a value for non-nullable variable: "bookId"')
  const rows = data.userBooks.filter((row) => (row.book_id ?? (row.book as { id?: unknown } | undefined)?.id) === bookId)
  return json(200, { data: { user_books: rows.slice(0, typeof limit === 'number' ? limit : undefined) } })
}

function search(data: HardcoverData, variables: Record<string, unknown>): ProviderAnswer {
  const query = typeof variables.query === 'string' ? variables.query.toLowerCase() : ''
  return json(200, { data: { search: { results: data.searches[query] ?? { found: 0, hits: [], page: 1 } } } })
}

/** Hasura answers query errors with 200 and an `errors` list. */
function graphqlError(message: string): ProviderAnswer {
  return json(200, { errors: [{ message, extensions: { code: 'validation-failed' } }] })
}
