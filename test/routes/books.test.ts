import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { DUNE, ok, startRig, type TestRig } from '../helpers/test-app.js'

const ROUTE = '/books/{isbn}'
let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await rig!.app.inject({ method: 'GET', url, headers })
  expectMatchesContract(ROUTE, 'GET', response)
  return { ...response, json: response.json() }
}

describe('GET /books/{isbn}', () => {
  it('200: all three sources ok gives a complete BookView without unknown upstream fields', async () => {
    rig = await startRig()
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json).toMatchObject({
      isbn: DUNE,
      isbn10: '0441013597',
      publisher: { title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02' },
      reviews: { averageRating: 4.5, ratingsCount: 2 },
      recommendations: { items: [{ isbn: '9780441172719', title: 'Dune Messiah' }] },
      sources: { publisher: { status: 'ok' }, reviews: { status: 'ok' }, recommendations: { status: 'ok' } },
      complete: true
    })
    expect(res.json.publisher).not.toHaveProperty('internalId')
    expect(res.json.publisher).not.toHaveProperty('isbn')
    for (const source of ['publisher', 'reviews', 'recommendations'] as const) {
      expect(rig.upstreams[source].requests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /books/${DUNE}`])
    }
  })

  it('normalizes an ISBN-10 with hyphens and a lowercase x before calling upstreams', async () => {
    rig = await startRig()
    const res = await get('/books/0-8044-2957-x')
    expect(res.statusCode).toBe(200)
    expect(res.json.isbn).toBe('9780804429573')
    expect(res.json.isbn10).toBe('080442957X')
    expect(rig.upstreams.publisher.requests[0]?.url).toBe('/books/9780804429573')
  })

  it('200 partial: a failing source costs only its own section', async () => {
    rig = await startRig({ reviews: { kind: 'json', status: 500, body: { oops: true } } })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(200)
    expect(res.json.complete).toBe(false)
    expect(res.json.reviews).toBeNull()
    expect(res.json.sources.reviews).toMatchObject({ status: 'error', httpStatus: 500 })
    expect(res.json.publisher.title).toBe('Dune')
  })

  it('200 partial: the publisher failing still answers with the other sections', async () => {
    rig = await startRig({ publisher: { kind: 'reset' } })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(200)
    expect(res.json.publisher).toBeNull()
    expect(res.json.sources.publisher.status).toBe('error')
    expect(res.json.reviews).not.toBeNull()
  })

  it('200 complete: a source saying not_found is an answer, not a failure', async () => {
    rig = await startRig({ reviews: { kind: 'json', status: 404, body: {} } })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(200)
    expect(res.json.complete).toBe(true)
    expect(res.json.reviews).toBeNull()
    expect(res.json.sources.reviews.status).toBe('not_found')
  })

  it('400 invalid-isbn: a wrong check digit calls no upstream', async () => {
    rig = await startRig()
    const res = await get('/books/9780441013594')
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json).toMatchObject({
      type: 'https://book-aggregator.dev/problems/invalid-isbn', status: 400, detail: 'The ISBN has a wrong check digit; expected 3.'
    })
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('a checksum-valid ISBN in a range newer than the bundled table is looked up like any other', async () => {
    rig = await startRig()
    const res = await get('/books/978-645-768-100-9')
    expect(res.statusCode).toBe(200)
    expect(res.json).toMatchObject({ isbn: '9786457681009', isbn10: '645768100X', isbnHyphenated: null, registrationGroup: null })
    for (const source of ['publisher', 'reviews', 'recommendations'] as const) {
      expect(rig.upstreams[source].requests.map((r) => r.url)).toEqual(['/books/9786457681009'])
    }
  })

  it('carries the hyphenated ISBN and its registration group where the range table knows them', async () => {
    rig = await startRig()
    const res = await get(`/books/${DUNE}`)
    expect(res.json).toMatchObject({ isbnHyphenated: '978-0-441-01359-3', registrationGroup: { prefix: '978-0', name: 'English language' } })
  })

  it.each([
    'abc', '12345', '978044101359', '97804410135930', '..%2F..%2Fetc%2Fpasswd', '9780441013593%2F..%2Fadmin',
    '978-0441013593%3Fx%3D1', '0441013597%0A', '%20'
  ])('400 invalid-isbn for %j, with no upstream call', async (isbn) => {
    rig = await startRig()
    const res = await get(`/books/${isbn}`)
    expect(res.statusCode).toBe(400)
    expect(res.json.type).toMatch(/invalid-isbn$/)
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('400 invalid-parameter: an unknown include value calls no upstream', async () => {
    rig = await startRig()
    const res = await get(`/books/${DUNE}?include=publisher,prices`)
    expect(res.statusCode).toBe(400)
    expect(res.json.type).toMatch(/invalid-parameter$/)
    expect(res.json.detail).toContain('prices')
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('include selects sources: the others are skipped and never called', async () => {
    rig = await startRig()
    const res = await get(`/books/${DUNE}?include=publisher,recommendations`)
    expect(res.statusCode).toBe(200)
    expect(res.json.sources.reviews).toEqual({ status: 'skipped', durationMs: 0 })
    expect(res.json.reviews).toBeNull()
    expect(res.json.complete).toBe(true)
    expect(rig.upstreams.reviews.requests).toHaveLength(0)
  })

  it('404 book-not-found: the publisher does not know the book', async () => {
    rig = await startRig({ publisher: { kind: 'json', status: 404, body: { error: 'nope' } } })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(404)
    expect(res.json).toMatchObject({ type: 'https://book-aggregator.dev/problems/book-not-found', status: 404 })
    expect(res.json.sources.publisher.status).toBe('not_found')
  })

  it('404 when the only included source says not_found', async () => {
    rig = await startRig({ reviews: { kind: 'json', status: 404, body: {} } })
    const res = await get(`/books/${DUNE}?include=reviews`)
    expect(res.statusCode).toBe(404)
    expect(res.json.sources.reviews.status).toBe('not_found')
  })

  it('502 upstreams-failed: every source failed, not all by timeout', async () => {
    rig = await startRig({
      publisher: { kind: 'json', status: 500, body: {} },
      reviews: { kind: 'raw', body: 'not json' },
      recommendations: { kind: 'hang' }
    }, { UPSTREAM_TIMEOUT_MS: '200' })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(502)
    expect(res.json).toMatchObject({
      type: 'https://book-aggregator.dev/problems/upstreams-failed',
      sources: {
        publisher: { status: 'error', httpStatus: 500 },
        reviews: { status: 'invalid_response' },
        recommendations: { status: 'timeout' }
      }
    })
  })

  it('504 upstreams-timeout: every source timed out', async () => {
    rig = await startRig({ publisher: { kind: 'hang' }, reviews: { kind: 'hang' }, recommendations: { kind: 'hang' } },
      { UPSTREAM_TIMEOUT_MS: '200' })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(504)
    expect(res.json.type).toMatch(/upstreams-timeout$/)
    for (const source of ['publisher', 'reviews', 'recommendations']) {
      expect(res.json.sources[source]).toMatchObject({ status: 'timeout', detail: `${source} did not answer within 200 ms` })
    }
  })

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    rig = await startRig()
    const kept = await get(`/books/${DUNE}`, { 'x-request-id': 'frontend-42' })
    expect(kept.headers['x-request-id']).toBe('frontend-42')
    const replaced = await get(`/books/${DUNE}`, { 'x-request-id': 'bad id\nforged log line' })
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('accepts repeated include parameters', async () => {
    rig = await startRig({ recommendations: ok('recommendations') })
    const res = await get(`/books/${DUNE}?include=publisher&include=reviews`)
    expect(res.statusCode).toBe(200)
    expect(res.json.sources.recommendations.status).toBe('skipped')
  })
})
