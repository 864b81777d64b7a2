import { afterEach, describe, expect, it } from 'vitest'
import { DUNE, okBody, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

const LIBRARY = 'https://library.example'

const listOf = (header: unknown): string[] =>
  String(header ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '')

function preflight(url: string, origin: string, method: string, requestHeaders?: string) {
  return rig!.app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': method,
      ...(requestHeaders === undefined ? {} : { 'access-control-request-headers': requestHeaders })
    }
  })
}

describe('CORS, default (any origin)', () => {
  it('a GET from another origin is allowed and may read the timing, cache, rate-limit and request-id headers', async () => {
    rig = await startRig()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: { origin: LIBRARY } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    // `*` cannot go with credentials.
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    const exposed = listOf(res.headers['access-control-expose-headers'])
    expect(exposed).toEqual(expect.arrayContaining([
      'server-timing', 'etag', 'retry-after', 'x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'
    ]))
    // The exposed headers are really sent on this response.
    for (const header of ['etag', 'x-request-id', 'ratelimit-remaining']) expect(res.headers[header]).toBeDefined()
  })

  it('problem responses carry the CORS headers too, so a frontend can read the error', async () => {
    rig = await startRig()
    const res = await rig.app.inject({ method: 'GET', url: '/books/9780441013594', headers: { origin: LIBRARY } })
    expect(res.statusCode).toBe(400)
    expect(res.headers['access-control-allow-origin']).toBe('*')
  })

  it('an event stream answers with the CORS headers (for a cross-origin EventSource)', async () => {
    rig = await startRig()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}/events`, headers: { origin: LIBRARY } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(res.headers['access-control-allow-origin']).toBe('*')
  })

  it('a preflight for POST /books/batch with a JSON body answers 204 allowing POST and content-type', async () => {
    rig = await startRig()
    const res = await preflight('/books/batch', LIBRARY, 'POST', 'content-type')
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(listOf(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['post', 'get']))
    expect(listOf(res.headers['access-control-allow-headers'])).toContain('content-type')
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0)
    // A preflight never reaches a route.
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('a preflight for a GET with If-None-Match and an API key is allowed', async () => {
    rig = await startRig()
    const res = await preflight(`/books/${DUNE}`, LIBRARY, 'GET', 'if-none-match, x-api-key')
    expect(res.statusCode).toBe(204)
    expect(listOf(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['if-none-match', 'x-api-key']))
  })
})

describe('CORS_ORIGINS: an explicit list', () => {
  const env = { CORS_ORIGINS: 'https://a.example, https://b.example' }

  it('an allowed origin is echoed back', async () => {
    rig = await startRig({}, env)
    for (const origin of ['https://a.example', 'https://b.example']) {
      const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: { origin } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['access-control-allow-origin']).toBe(origin)
      expect(listOf(res.headers['access-control-expose-headers'])).toContain('etag')
    }
  })

  // With a list, the answer depends on Origin: a shared cache must not hand a.example's
  // response (Access-Control-Allow-Origin: https://a.example) to b.example, or the reverse.
  it.each([
    ['GET /books/{isbn} (publicly cacheable)', 'GET', `/books/${DUNE}`, ['accept-encoding']],
    ['GET /search (publicly cacheable)', 'GET', '/search?q=dune', []],
    ['POST /books/batch', 'POST', '/books/batch', []],
    ['GET /healthz', 'GET', '/healthz', []]
  ] as const)('%s says Vary: Origin', async (_name, method, url, alsoVary) => {
    rig = await startRig({}, env)
    rig.upstreams.publisher.respond((req) => ((req.url ?? '').startsWith('/search?')
      ? { kind: 'json', body: { results: [] } }
      : { kind: 'json', body: okBody('publisher') }))
    const res = await rig.app.inject({
      method, url, headers: { origin: 'https://a.example', 'accept-encoding': 'gzip' },
      ...(method === 'POST' ? { payload: { isbns: [DUNE] } } : {})
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe('https://a.example')
    // Whatever else the route varies by is kept beside it.
    expect(listOf(res.headers.vary)).toEqual(expect.arrayContaining(['origin', ...alsoVary]))
  })

  it('any other origin gets no Access-Control-Allow-Origin (the browser blocks the read)', async () => {
    rig = await startRig({}, env)
    for (const origin of ['https://evil.example', 'https://a.example.evil.example', 'http://a.example']) {
      const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: { origin } })
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
    }
  })

  it('a preflight from an allowed origin is answered; from another origin it grants nothing', async () => {
    rig = await startRig({}, env)
    const allowed = await preflight('/books/batch', 'https://a.example', 'POST', 'content-type')
    expect(allowed.statusCode).toBe(204)
    expect(allowed.headers['access-control-allow-origin']).toBe('https://a.example')
    expect(listOf(allowed.headers['access-control-allow-methods'])).toContain('post')

    const denied = await preflight('/books/batch', 'https://evil.example', 'POST', 'content-type')
    expect(denied.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('a single configured origin works the same', async () => {
    rig = await startRig({}, { CORS_ORIGINS: 'https://a.example' })
    const allowed = await rig.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://a.example' } })
    expect(allowed.headers['access-control-allow-origin']).toBe('https://a.example')
    const other = await rig.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://b.example' } })
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })
})
