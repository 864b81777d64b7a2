import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { DUNE, okBody, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await rig!.app.inject({ method: 'GET', url, headers })
  expectMatchesContract('/books/{isbn}', 'GET', res)
  return res
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('per-source cache', () => {
  it('a repeat request is served from the cache without upstream calls', async () => {
    rig = await startRig()
    const first = await get(`/books/${DUNE}`)
    expect(first.json().sources.reviews.cache).toBe('miss')
    const second = await get(`/books/${DUNE}`)
    expect(second.json().sources).toMatchObject({
      publisher: { status: 'ok', cache: 'hit' }, reviews: { status: 'ok', cache: 'hit' }, recommendations: { status: 'ok', cache: 'hit' }
    })
    expect(second.json().publisher).toEqual(first.json().publisher)
    expect(rig.upstreamRequestCount()).toBe(3)
  })

  it('caches not_found briefly and never caches errors', async () => {
    rig = await startRig({ publisher: { kind: 'json', status: 404, body: {} }, reviews: { kind: 'json', status: 500, body: {} } })
    expect((await get(`/books/${DUNE}`)).statusCode).toBe(404)
    expect((await get(`/books/${DUNE}`)).statusCode).toBe(404)
    expect(rig.upstreams.publisher.requests).toHaveLength(1)
    // A 500 is not retried, and not cached: each request called reviews again.
    expect(rig.upstreams.reviews.requests).toHaveLength(2)
  })

  it('stale-if-error: a failing upstream is replaced by the last good value, status ok', async () => {
    rig = await startRig({}, { CACHE_TTL_REVIEWS_S: '1', CACHE_STALE_WHILE_REVALIDATE_S: '0' })
    const fresh = await get(`/books/${DUNE}`)
    await sleep(1100)
    rig.upstreams.reviews.respond({ kind: 'json', status: 503, body: {} })
    const res = await get(`/books/${DUNE}`)
    expect(res.statusCode).toBe(200)
    expect(res.json().sources.reviews).toMatchObject({ status: 'ok', cache: 'stale' })
    expect(res.json().reviews).toEqual(fresh.json().reviews)
    expect(res.json().complete).toBe(true)
    expect(res.headers['cache-control']).toBe('public, max-age=0')
  })

  it('stale-if-error: a hanging upstream is replaced by the last good value before its timeout', async () => {
    rig = await startRig({}, { CACHE_TTL_REVIEWS_S: '1', CACHE_STALE_WHILE_REVALIDATE_S: '0', REVIEWS_TIMEOUT_MS: '400' })
    await get(`/books/${DUNE}`)
    await sleep(1100)
    rig.upstreams.reviews.respond({ kind: 'hang' })
    const started = performance.now()
    const res = await get(`/books/${DUNE}`)
    expect(performance.now() - started).toBeLessThan(800)
    expect(res.json().sources.reviews).toMatchObject({ status: 'ok', cache: 'stale' })
    expect(res.json().reviews).not.toBeNull()
    await rig.upstreams.reviews.waitForAborts(1)
  })

  it('stale-while-revalidate: an expired entry is served at once and refreshed once in the background', async () => {
    rig = await startRig({}, { CACHE_TTL_REVIEWS_S: '1', CACHE_STALE_WHILE_REVALIDATE_S: '60' })
    await get(`/books/${DUNE}`)
    await sleep(1100)
    rig.upstreams.reviews.respond({ kind: 'json', body: { ...okBody('reviews'), ratingsCount: 99 }, delayMs: 300 })
    const started = performance.now()
    const stale = await Promise.all(Array.from({ length: 5 }, () => get(`/books/${DUNE}?include=reviews`)))
    expect(performance.now() - started).toBeLessThan(250)
    for (const res of stale) {
      expect(res.json().sources.reviews).toMatchObject({ status: 'ok', cache: 'stale' })
      expect(res.json().reviews.ratingsCount).toBe(2)
    }
    await sleep(450)
    expect(rig.upstreams.reviews.requests).toHaveLength(2)
    const refreshed = await get(`/books/${DUNE}?include=reviews`)
    expect(refreshed.json().sources.reviews.cache).toBe('hit')
    expect(refreshed.json().reviews.ratingsCount).toBe(99)
  })

  it('CACHE_ENABLED=false calls the upstreams every time', async () => {
    rig = await startRig({}, { CACHE_ENABLED: 'false' })
    await get(`/books/${DUNE}`)
    const res = await get(`/books/${DUNE}`)
    expect(res.json().sources.reviews.cache).toBeUndefined()
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(rig.upstreamRequestCount()).toBe(6)
  })
})

describe('HTTP caching semantics', () => {
  it('a complete answer has a strong ETag, Cache-Control max-age of its shortest TTL and Vary', async () => {
    rig = await startRig()
    const res = await get(`/books/${DUNE}`)
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/)
    // Reviews have the shortest default TTL: 300 s.
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    expect(res.headers.vary).toMatch(/accept-encoding/i)
    const again = await get(`/books/${DUNE}`)
    expect(again.headers.etag).toBe(res.headers.etag)
  })

  it('If-None-Match with the current ETag gives 304 with no body', async () => {
    rig = await startRig()
    const first = await get(`/books/${DUNE}`)
    const res = await get(`/books/${DUNE}`, { 'if-none-match': `"other", ${first.headers.etag as string}` })
    expect(res.statusCode).toBe(304)
    expect(res.body).toBe('')
    expect(res.headers.etag).toBe(first.headers.etag)
    expect((await get(`/books/${DUNE}`, { 'if-none-match': '"stale-tag"' })).statusCode).toBe(200)
  })

  it('a partial answer is no-store; problem answers are no-store', async () => {
    rig = await startRig({ reviews: { kind: 'json', status: 500, body: {} } })
    expect((await get(`/books/${DUNE}`)).headers['cache-control']).toBe('no-store')
    rig.upstreams.publisher.respond({ kind: 'json', status: 404, body: {} })
    expect((await get('/books/9780441172719')).headers['cache-control']).toBe('no-store')
  })

  it('compresses bodies above 1 KB with br or gzip, and leaves small ones alone', async () => {
    const manyReviews = { ...okBody('reviews'), items: Array.from({ length: 30 }, (_, i) => ({ author: `r${i}`, rating: 4, text: 'A fine and memorable read.', date: '2024-01-01' })) }
    rig = await startRig({ reviews: { kind: 'json', body: manyReviews } })
    const br = await get(`/books/${DUNE}`, { 'accept-encoding': 'br' })
    expect(br.headers['content-encoding']).toBe('br')
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString()).reviews.items).toHaveLength(30)
    const gzip = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: { 'accept-encoding': 'gzip' } })
    expect(gzip.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString()).isbn).toBe(DUNE)
    const small = await get(`/books/${DUNE}?include=publisher`, { 'accept-encoding': 'br, gzip' })
    expect(small.headers['content-encoding']).toBeUndefined()
  })
})

describe('answers made of fresh hits, sent again as they are', () => {
  const metric = async (source: string, result: string): Promise<number> => {
    const text = (await rig!.app.inject({ method: 'GET', url: '/metrics' })).body
    const line = new RegExp(`^book_aggregator_cache_requests_total\\{source="${source}",result="${result}"\\} (\\d+)$`, 'm').exec(text)
    return Number(line?.[1])
  }

  it('repeats the same bytes and headers as the answer they were built from, and counts cache hits', async () => {
    rig = await startRig()
    await get(`/books/${DUNE}`) // misses: fetched and cached
    const built = await get(`/books/${DUNE}`) // all fresh hits: kept whole
    const repeated = await get(`/books/${DUNE}`)
    expect(repeated.body).toBe(built.body)
    for (const header of ['etag', 'content-type', 'server-timing', 'vary']) expect(repeated.headers[header]).toBe(built.headers[header])
    expect(repeated.headers['cache-control']).toMatch(/^public, max-age=(299|300)$/)
    expect(repeated.json().sources.reviews).toEqual({ status: 'ok', durationMs: 0, cache: 'hit' })
    expect(rig.upstreamRequestCount()).toBe(3)
    expect(await metric('reviews', 'hit')).toBe(2)

    const notModified = await get(`/books/${DUNE}`, { 'if-none-match': built.headers.etag as string })
    expect(notModified.statusCode).toBe(304)
    expect(notModified.body).toBe('')
  })

  it('lives only as long as its shortest-lived section is fresh: then stale-while-revalidate applies', async () => {
    rig = await startRig({}, { CACHE_TTL_REVIEWS_S: '1', CACHE_STALE_WHILE_REVALIDATE_S: '60' })
    await get(`/books/${DUNE}`)
    await get(`/books/${DUNE}`)
    await sleep(1100)
    const after = await get(`/books/${DUNE}`)
    expect(after.json().sources.reviews).toMatchObject({ status: 'ok', cache: 'stale' })
    expect(after.headers['cache-control']).toBe('public, max-age=0')
  })

  it('is kept per set of included sections', async () => {
    rig = await startRig()
    await get(`/books/${DUNE}`)
    await get(`/books/${DUNE}`)
    const publisherOnly = await get(`/books/${DUNE}?include=publisher`)
    expect(publisherOnly.json().sources.reviews.status).toBe('skipped')
    expect(publisherOnly.json().reviews).toBeNull()
    const again = await get(`/books/${DUNE}?include=publisher`)
    expect(again.body).toBe(publisherOnly.body)
  })

  it('never keeps a partial answer: every request asks the failing upstream again', async () => {
    rig = await startRig({ reviews: { kind: 'json', status: 500, body: {} } }, { RETRY_ENABLED: 'false' })
    for (let i = 0; i < 3; i++) expect((await get(`/books/${DUNE}`)).json().complete).toBe(false)
    expect(rig.upstreams.reviews.requests).toHaveLength(3)
  })
})
