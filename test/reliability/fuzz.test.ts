import type { IncomingMessage } from 'node:http'
import fc from 'fast-check'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isbn10CheckDigit, isbn13CheckDigit } from '../../src/domain/isbn-check-digit.js'
import { normalizeIsbn } from '../../src/domain/isbn.js'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'
import { decodedBody as decoded, expectMatchesContract, type ContractResponse as Answer } from '../helpers/contract.js'
import type { Behaviour } from '../helpers/fake-upstream.js'
import { nthIsbn } from '../helpers/isbn.js'
import { okBody, startRig, type TestRig } from '../helpers/test-app.js'

/**
 * Property-based: whatever a client sends — paths, ISBN-like strings, `include`, query
 * strings, headers, batch bodies — the service never answers 500 (with healthy upstreams no
 * 5xx at all), every error is RFC 9457 problem+json, no body carries a stack trace, and the
 * upstreams only ever see `GET /books/<13 digits>` or `GET /search?q=…&limit=<1..50>`.
 */

let rig: TestRig
let address: string
let client: Pool
/** Process warnings raised while fuzzing (a listener leak shows up as one). */
const warnings: Error[] = []
const onWarning = (warning: Error): void => void warnings.push(warning)

const STACK_TRACE = /\n\s+at |node_modules|\.ts:/
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
// FUZZ_RUNS=5000 for a deeper hunt; the default keeps the suite fast.
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
// A passing property takes about a second. A failing one shrinks its counterexample, which
// can take thousands of requests: the time limit keeps that bounded (the failure is still
// reported, with the smallest counterexample found so far).
const TIME_LIMIT_MS = Math.max(10_000, RUNS * 20)
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, interruptAfterTimeLimit: TIME_LIMIT_MS })
const TEST_TIMEOUT_MS = TIME_LIMIT_MS + 10_000

/** Healthy upstreams that answer whatever they are asked, well-formed. */
function healthy(source: SourceName) {
  return (req: IncomingMessage): Behaviour => {
    const url = new URL(req.url ?? '/', 'http://upstream')
    if (url.pathname === '/search') {
      return { kind: 'json', body: { results: [{ isbn: '9780441013593', title: 'Dune', authors: ['Frank Herbert'] }] } }
    }
    const isbn = /^\/books\/(\d{13})$/.exec(url.pathname)?.[1]
    return isbn === undefined ? { kind: 'json', status: 404, body: {} } : { kind: 'json', body: okBody(source, isbn) }
  }
}

beforeAll(async () => {
  rig = await startRig({}, {
    RATE_LIMIT_MAX: '0',
    // Load shedding would make a legitimate 503 on a busy CI machine; this suite wants none.
    SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    SHED_MAX_HEAP_USED_RATIO: '0'
  })
  for (const source of SOURCE_NAMES) rig.upstreams[source].respond(healthy(source))
  address = await rig.app.listen({ host: '127.0.0.1', port: 0 })
  client = new Pool(address, { connections: 4 })
  process.on('warning', onWarning)
})

afterAll(async () => {
  process.off('warning', onWarning)
  await client?.close()
  await rig?.close()
})

// ---------------------------------------------------------------------------------------
// What every answer must look like
// ---------------------------------------------------------------------------------------

/** The properties every response has; `route` (an openapi.yaml path) adds the contract. */
function expectWellFormed(res: Answer, method: string, route?: string): void {
  const body = decoded(res)
  const context = `${method} ${res.statusCode} ${body.slice(0, 300)}`
  expect(res.statusCode, context).not.toBe(500)
  // With healthy upstreams and no load shedding, no 5xx is legitimate.
  expect(res.statusCode, context).toBeLessThan(500)
  expect(body, context).not.toMatch(STACK_TRACE)
  const requestId = res.headers['x-request-id']
  if (requestId !== undefined) expect(String(requestId), context).toMatch(SAFE_REQUEST_ID)

  const success = (res.statusCode >= 200 && res.statusCode < 300) || res.statusCode === 304
  if (!success && body !== '') {
    expect(String(res.headers['content-type']), context).toMatch(/^application\/problem\+json(;|$)/)
    const problem = JSON.parse(body) as Record<string, unknown>
    expect(problem, context).toEqual(expect.objectContaining({
      type: expect.any(String), title: expect.any(String), status: res.statusCode, detail: expect.any(String)
    }))
  }
  if (route !== undefined && method !== 'HEAD') expectMatchesContract(route, method, res)
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

const ROUTE_WORDS = ['books', 'batch', 'events', 'search', 'healthz', 'readyz', 'metrics', 'openapi.yaml', 'docs', 'static',
  'json', 'yaml', 'index.html', 'app.js', 'style.css', 'favicon.ico', '9780441013593', '0441013597']
const TRICKY_SEGMENTS = ['..', '.', '', '%2e%2e', '%2E%2E/', '%2f', '%2F..%2F', '%00', '%', '%z', '%zz', '%C0%AE', '%c0%af',
  '%E2%80%AE', '%ff%fe', '..%5c', '\\..\\', '~', '*', ';', ':', '@', '?', '#', '&', '=', '+', '%3F', '%23', 'http:', '//evil.example',
  '@evil.example', '%0d%0aX-Injected:%201', '"', '<script>', '{', '}', '|', '^', '`', "'"]

/** Any string, percent-encoded the way a browser would. */
const encodedText = fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent)
/** Arbitrary bytes, percent-encoded (invalid UTF-8 included). */
const encodedBytes = fc.uint8Array({ maxLength: 8 }).map((bytes) => [...bytes].map((b) => '%' + b.toString(16).padStart(2, '0')).join(''))

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTE_WORDS) },
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_SEGMENTS) },
  { weight: 2, arbitrary: encodedText },
  { weight: 2, arbitrary: encodedBytes },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9Xx -]{0,20}$/).map(encodeURIComponent) }
)
const rawQuery = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(fc.oneof(fc.constantFrom('include', 'q', 'limit', 'isbn', 'url', '__proto__', 'constructor'), encodedText), fc.oneof(encodedText, encodedBytes, segment)), { maxLength: 4 })
    .map((pairs) => '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  encodedBytes.map((bytes) => '?' + bytes)
)
const rawPath = fc.tuple(fc.array(segment, { minLength: 0, maxLength: 6 }), fc.boolean(), rawQuery)
  .map(([segments, leadingDoubleSlash, query]) => (leadingDoubleSlash ? '//' : '/') + segments.join('/') + query)

const VALID_ISBNS = Array.from({ length: 20 }, (_, i) => nthIsbn(i))
/** Any checksum-valid ISBN-13, in ranges the bundled table knows or not (new ranges are assigned monthly). */
const anyRealIsbn13 = fc.tuple(fc.constantFrom('978', '979'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 9, maxLength: 9 }))
  .map(([prefix, rest]) => prefix + rest + isbn13CheckDigit(prefix + rest))
/** Valid ISBNs with separators sprinkled in, broken ones, and plain garbage. */
const isbnLike = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...VALID_ISBNS), fc.array(fc.tuple(fc.nat(13), fc.constantFrom('-', ' ', '--')), { maxLength: 4 }))
    .map(([isbn, seps]) => seps.reduce((s, [at, sep]) => s.slice(0, at) + sep + s.slice(at), isbn)) },
  { weight: 1, arbitrary: fc.constantFrom('0441013597', '0-441-01359-7', '044101359x', '044101359X', '9790000000001', '0000000000000') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...VALID_ISBNS), fc.nat(12), fc.constantFrom(...'0123456789Xx -/.'))
    .map(([isbn, at, c]) => isbn.slice(0, at) + c + isbn.slice(at + 1)) },
  { weight: 2, arbitrary: anyRealIsbn13 },
  { weight: 3, arbitrary: fc.stringMatching(/^[0-9Xx -]{0,40}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 30, maxLength: 100 }) }
)
const includeValue = fc.oneof(
  fc.subarray([...SOURCE_NAMES], { minLength: 1 }).map((names) => names.join(',')),
  fc.array(fc.constantFrom(...SOURCE_NAMES, '', ' ', 'PUBLISHER', 'all', 'publisher ', ' reviews'), { maxLength: 5 }).map((parts) => parts.join(',')),
  fc.string({ unit: 'grapheme', maxLength: 30 })
)
/** Zero, one or several `include` parameters. */
const includeParams = fc.array(includeValue, { maxLength: 3 })

/** Header values Node accepts: tab, visible ASCII, space and obs-text (0x80–0xff). */
const headerChar = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.constant(0x09) }
).map((code) => String.fromCharCode(code))
const headerText = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: headerChar, maxLength })
const hex = (length: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`))

const headers = fc.record({
  'x-request-id': fc.oneof(headerText(200), fc.stringMatching(/^[A-Za-z0-9._:-]{1,130}$/)),
  traceparent: fc.oneof(
    headerText(80),
    fc.tuple(fc.constantFrom('00', 'ff', '01'), hex(32), hex(16), hex(2)).map((parts) => parts.join('-')),
    fc.constant('00-00000000000000000000000000000000-0000000000000000-01')
  ),
  'if-none-match': fc.oneof(headerText(80), fc.constant('*'), hex(27).map((t) => `"${t}"`), hex(27).map((t) => `W/"${t}", *`)),
  accept: fc.oneof(headerText(60), fc.constantFrom('application/json', 'application/x-ndjson', 'text/event-stream', '*/*', 'text/html')),
  'accept-encoding': fc.oneof(headerText(40), fc.constantFrom('br', 'gzip', 'deflate', 'identity', 'identity;q=0', '*;q=0', 'br;q=0, gzip;q=0')),
  'x-api-key': headerText(100)
}, { requiredKeys: [] })

const query = (params: Array<[string, string]>): string =>
  params.length === 0 ? '' : '?' + new URLSearchParams(params).toString()

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

describe('fuzzing (fast-check)', () => {
  it('random raw paths and methods over a real socket: never a 5xx, errors are problem+json', async () => {
    const method = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
    await fc.assert(fc.asyncProperty(method, rawPath, async (m, path) => {
      const res = await client.request({ method: m, path, headers: { 'content-type': 'application/json' }, body: m === 'POST' ? '{}' : undefined })
      const body = await res.body.text()
      expectWellFormed({ statusCode: res.statusCode, headers: res.headers, body }, m)
    }), runs(Math.round(RUNS * 1.5)))
  }, TEST_TIMEOUT_MS)

  it('random ISBN-like strings, include values and headers on GET /books/{isbn} and its events', async () => {
    await fc.assert(fc.asyncProperty(isbnLike, includeParams, headers, fc.boolean(), async (isbn, include, hdrs, events) => {
      const route = events ? '/books/{isbn}/events' : '/books/{isbn}'
      const url = `/books/${encodeURIComponent(isbn)}${events ? '/events' : ''}${query(include.map((v) => ['include', v]))}`
      const res = await rig.app.inject({ method: 'GET', url, headers: hdrs })
      const answer = { statusCode: res.statusCode, headers: res.headers, body: res.body, rawPayload: res.rawPayload }
      // An ISBN that turns into another path (a '/' in it) is some other route's answer.
      expectWellFormed(answer, 'GET', isbn.trim() === '' ? undefined : route)
      if (res.statusCode === 200 && !events) {
        const normalized = normalizeIsbn(isbn)
        expect(normalized.ok).toBe(true)
        expect(JSON.parse(decoded(answer)).isbn).toBe(normalized.ok ? normalized.value.isbn13 : '')
      }
      if (res.statusCode === 200 && events) {
        // Every event's data is JSON and the stream ends with the book or a problem.
        const data = [...res.body.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] as string) as unknown)
        expect(data.length).toBeGreaterThan(0)
        expect(res.body).toMatch(/event: (book|problem)\ndata: .*\n\n$/)
      }
    }), runs(RUNS))
  }, TEST_TIMEOUT_MS)

  it('any checksum-valid ISBN, as ISBN-13 or ISBN-10, is looked up: never a 400', async () => {
    const asTyped = fc.tuple(anyRealIsbn13, fc.boolean()).map(([isbn13, as10]) =>
      as10 && isbn13.startsWith('978') ? isbn13.slice(3, 12) + isbn10CheckDigit(isbn13.slice(3, 12)) : isbn13)
    await fc.assert(fc.asyncProperty(asTyped, async (isbn) => {
      const res = await rig.app.inject({ method: 'GET', url: `/books/${isbn}?include=publisher` })
      expect(res.statusCode, `${isbn}: ${res.body}`).not.toBe(400)
      expectWellFormed({ statusCode: res.statusCode, headers: res.headers, body: res.body, rawPayload: res.rawPayload }, 'GET', '/books/{isbn}')
    }), runs(RUNS))
  }, TEST_TIMEOUT_MS)

  it('random search queries: q, limit and extra parameters', async () => {
    const q = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 190, maxLength: 230 }),
      fc.constantFrom('dune', ' dune ', '../../admin', '/books/9780441013593', 'a&limit=1000', 'x?y=z#frag', '%2e%2e', 'a\r\nb', '\u0000')
    )
    const limit = fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 60 }).map(String), fc.string({ maxLength: 6 }), fc.constantFrom('1e1', '0x10', '010', ' 5', '5 ', '50', '51'))
    const extras = fc.array(fc.tuple(fc.constantFrom('q', 'limit', 'url', 'host', 'path', 'x'), fc.string({ maxLength: 10 })), { maxLength: 3 })
    await fc.assert(fc.asyncProperty(q, limit, extras, headers, async (text, lim, more, hdrs) => {
      const params: Array<[string, string]> = [['q', text], ...(lim === undefined ? [] : [['limit', lim] as [string, string]]), ...more]
      const res = await rig.app.inject({ method: 'GET', url: `/search${query(params)}`, headers: hdrs })
      expectWellFormed({ statusCode: res.statusCode, headers: res.headers, body: res.body, rawPayload: res.rawPayload }, 'GET', '/search')
    }), runs(RUNS))
  }, TEST_TIMEOUT_MS)

  it('random batch bodies: JSON of every shape, wrong types, huge arrays, wrong media types', async () => {
    const item = fc.oneof(isbnLike, fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.jsonValue({ maxDepth: 2 }))
    const body = fc.oneof(
      { weight: 4, arbitrary: fc.record({ isbns: fc.array(isbnLike, { minLength: 1, maxLength: 12 }), include: fc.array(fc.constantFrom(...SOURCE_NAMES), { minLength: 1, maxLength: 3 }) }, { requiredKeys: ['isbns'] }).map((v) => JSON.stringify(v)) },
      { weight: 3, arbitrary: fc.record({ isbns: fc.array(item, { maxLength: 12 }), include: fc.oneof(fc.array(fc.string({ maxLength: 12 })), fc.jsonValue({ maxDepth: 1 })), extra: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
      // Too many items: 101 fit in the body limit, thousands do not.
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(101, 500, 3000, 20_000), fc.constantFrom('9780441013593', '', 'x'.repeat(64))).map(([n, v]) => JSON.stringify({ isbns: Array(n).fill(v) })) },
      { weight: 1, arbitrary: fc.constantFrom('{"isbns":["9780441013593"],"__proto__":{"x":1}}', '{"isbns":["9780441013593"],"constructor":{"prototype":{}}}', '{"isbns":', '', 'null', '[]', '{}', '"isbns"') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) }
    )
    const contentType = fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/json') },
      { weight: 2, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-seq', '') },
      { weight: 1, arbitrary: headerText(40) }
    )
    const accept = fc.constantFrom(undefined, 'application/json', 'application/x-ndjson', '*/*')
    await fc.assert(fc.asyncProperty(body, contentType, accept, async (payload, type, acc) => {
      const hdrs: Record<string, string> = { 'content-type': type }
      if (acc !== undefined) hdrs.accept = acc
      const res = await rig.app.inject({ method: 'POST', url: '/books/batch', headers: hdrs, payload })
      const answer = { statusCode: res.statusCode, headers: res.headers, body: res.body, rawPayload: res.rawPayload }
      expectWellFormed(answer, 'POST', '/books/batch')
      if (res.statusCode === 200 && res.headers['content-type']?.toString().startsWith('application/x-ndjson')) {
        for (const line of res.body.split('\n').filter((l) => l !== '')) {
          expect(JSON.parse(line)).toEqual(expect.objectContaining({ index: expect.any(Number), status: expect.any(Number) }))
        }
      }
    }), runs(RUNS))
  }, TEST_TIMEOUT_MS)

  it('the upstreams only ever saw GET /books/<13 digits> or GET /search?q=…&limit=<1..50>, on their own host', () => {
    let books = 0
    let searches = 0
    for (const source of SOURCE_NAMES) {
      const upstream = rig.upstreams[source]
      const host = new URL(upstream.url).host
      for (const seen of upstream.requests) {
        const context = `${source}: ${seen.method} ${seen.url}`
        expect(seen.method, context).toBe('GET')
        expect(seen.headers.host, context).toBe(host)
        const book = /^\/books\/(\d{13})$/.exec(seen.url)
        if (book !== null) {
          // Only normalized, valid ISBN-13s reach an upstream path.
          const isbn = normalizeIsbn(book[1] as string)
          expect(isbn.ok && isbn.value.isbn13, context).toBe(book[1])
          books++
          continue
        }
        // Search goes to the publisher only, with exactly two well-formed parameters.
        expect(source, context).toBe('publisher')
        expect(seen.url, context).toMatch(/^\/search\?q=[^&#]*&limit=\d{1,2}$/)
        const params = new URL(seen.url, 'http://upstream').searchParams
        expect([...params.keys()], context).toEqual(['q', 'limit'])
        const limit = Number(params.get('limit'))
        expect(limit >= 1 && limit <= 50, context).toBe(true)
        const q = params.get('q') ?? ''
        expect(q.length >= 1 && q.length <= 200 && q === q.trim() && !/\p{Cc}/u.test(q), context).toBe(true)
        searches++
      }
    }
    // The properties did reach the upstreams (a suite that never got past validation proves nothing).
    expect(books).toBeGreaterThan(20)
    expect(searches).toBeGreaterThan(10)
  })

  it('raised no process warning (such as MaxListenersExceededWarning) on the way', () => {
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([])
  })
})

/** Each defect the properties found, pinned down as a plain example. */
describe('regressions found by fuzzing', () => {
  const inject = async (method: 'GET' | 'OPTIONS', url: string): Promise<Answer> => {
    const res = await rig.app.inject({ method, url })
    return { statusCode: res.statusCode, headers: res.headers, body: res.body }
  }

  it('a bare OPTIONS (not a CORS preflight) is not answered with a text/plain 400', async () => {
    const res = await inject('OPTIONS', '/books/9780441013593')
    expect(res.headers['content-type'] ?? '').not.toMatch(/^text\/plain/)
    expectWellFormed(res, 'OPTIONS')
  })

  it('a path parameter longer than the router allows is a problem+json 414', async () => {
    const res = await inject('GET', `/books/${'9'.repeat(101)}`)
    expect(res.statusCode).toBe(414)
    expectWellFormed(res, 'GET', '/books/{isbn}')
    expect(res.headers['x-request-id']).toMatch(SAFE_REQUEST_ID)
  })

  it.each(['/books/%zz', '/books/%C0%AE', '/%E0%A4%A', '/docs/static/%zz'])('%s (not percent-encoded UTF-8) is a problem+json 400 that echoes nothing', async (url) => {
    const res = await inject('GET', url)
    expect(res.statusCode).toBe(400)
    expectWellFormed(res, 'GET', url.startsWith('/books/') ? '/books/{isbn}' : undefined)
    expect(res.body).not.toContain('%')
  })

  it('a batch of many ISBNs raises no MaxListenersExceededWarning', async () => {
    const seen: Error[] = []
    const collect = (warning: Error): void => void seen.push(warning)
    process.on('warning', collect)
    try {
      const isbns = Array.from({ length: 30 }, (_, i) => nthIsbn(1000 + i))
      const res = await rig.app.inject({ method: 'POST', url: '/books/batch', headers: { 'content-type': 'application/json' }, payload: { isbns } })
      expect(res.statusCode).toBe(200)
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', collect)
    }
    expect(seen.map((w) => w.name)).toEqual([])
  })
})
