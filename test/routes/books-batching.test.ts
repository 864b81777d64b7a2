import { Agent as HttpAgent, get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'
import { expectMatchesContract } from '../helpers/contract.js'
import {
  ABSENT, batchCalls, batchCapable, isbnsOf, likeOf, reviewOf, singleCalls, titleOf, type BatchCapableOptions
} from '../helpers/fake-batch-upstream.js'
import { nthIsbn } from '../helpers/isbn.js'
import { startRigWithoutCache, type TestRig } from '../helpers/test-app.js'

// The real app against three loopback upstreams that serve the batch endpoint: lookups of
// different books share one upstream call per upstream, and every caller still gets its own
// book, its own failure and its own deadline. The batcher's rules in detail are
// test/upstream/micro-batcher.test.ts's.

let rig: TestRig | undefined
let extra: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  await extra?.close()
  rig = undefined
  extra = undefined
})

/** Batching on (25 ISBNs a call), no cache, no client rate limit. */
const BATCHING = {
  NATIVE_BATCH_MAX: '25',
  RATE_LIMIT_MAX: '100000',
  // Wider than the default 3 ms, so that 25 requests made at once on a busy 2-core machine
  // still land in one window: what is tested is the sharing, not the window's width.
  BATCH_WINDOW_MS: '20'
}

interface SourceReport {
  status: string
  durationMs: number
  httpStatus?: number
  detail?: string
  batched?: number
  retried?: boolean
  coalesced?: boolean
}

interface BookBody {
  isbn: string
  complete: boolean
  publisher: { title: string } | null
  reviews: { items: Array<{ text: string }> } | null
  recommendations: { items: Array<{ title: string }> } | null
  sources: Record<SourceName, SourceReport>
}

async function startBatchingRig(options: Partial<Record<SourceName, BatchCapableOptions>> = {}, env: Record<string, string> = {}): Promise<TestRig> {
  const started = await startRigWithoutCache({}, { ...BATCHING, ...env })
  for (const source of SOURCE_NAMES) started.upstreams[source].respond(batchCapable(source, options[source]))
  return started
}

async function getBook(isbn: string) {
  const res = await rig!.app.inject({ method: 'GET', url: `/books/${isbn}` })
  expectMatchesContract('/books/{isbn}', 'GET', res)
  return res
}

/** Each section of the BookView is the book asked for, not a neighbour's from the same batch. */
function expectOwnBook(body: BookBody, isbn: string): void {
  expect(body.isbn).toBe(isbn)
  expect(body.publisher?.title).toBe(titleOf(isbn))
  expect(body.reviews?.items[0]?.text).toBe(reviewOf(isbn))
  expect(body.recommendations?.items[0]?.title).toBe(likeOf(isbn))
}

const isbns = (count: number, from: number): string[] => Array.from({ length: count }, (_, i) => nthIsbn(from + i))

/** All ISBNs the upstream was asked for, over all its batch calls. */
const askedFor = (r: TestRig, source: SourceName): string[] => batchCalls(r.upstreams[source].requests).flatMap(isbnsOf)

describe('GET /books/{isbn} with the batch endpoint (NATIVE_BATCH_MAX=25)', () => {
  it('25 concurrent cold lookups of different books make at most 2 calls per upstream, and each caller gets its own book', async () => {
    rig = await startBatchingRig()
    const wanted = isbns(25, 1000)
    const responses = await Promise.all(wanted.map(getBook))

    for (const [i, res] of responses.entries()) {
      expect(res.statusCode).toBe(200)
      const body = res.json() as BookBody
      expect(body.complete).toBe(true)
      expectOwnBook(body, wanted[i] as string)
      for (const source of SOURCE_NAMES) {
        expect(body.sources[source].status).toBe('ok')
        expect(body.sources[source].batched).toBeGreaterThanOrEqual(2)
      }
    }
    for (const source of SOURCE_NAMES) {
      const calls = rig.upstreams[source].requests
      expect(calls.length).toBeLessThanOrEqual(2)
      expect(singleCalls(calls)).toEqual([])
      // Every book asked for exactly once, over however many calls.
      expect(askedFor(rig, source).sort()).toEqual([...wanted].sort())
      // The size each caller was told is the size of the call that carried its book.
      const sizeOf = new Map(batchCalls(calls).flatMap((call) => isbnsOf(call).map((isbn) => [isbn, isbnsOf(call).length])))
      for (const [i, res] of responses.entries()) {
        expect((res.json() as BookBody).sources[source].batched).toBe(sizeOf.get(wanted[i] as string))
      }
    }
  })

  it('with NATIVE_BATCH_MAX unset, the same 25 lookups make 25 single calls per upstream (batching is really off)', async () => {
    rig = await startRigWithoutCache({}, { RATE_LIMIT_MAX: '100000' })
    for (const source of SOURCE_NAMES) rig.upstreams[source].respond(batchCapable(source))
    const wanted = isbns(25, 1100)
    const responses = await Promise.all(wanted.map(getBook))

    for (const [i, res] of responses.entries()) {
      expect(res.statusCode).toBe(200)
      const body = res.json() as BookBody
      expectOwnBook(body, wanted[i] as string)
      for (const source of SOURCE_NAMES) expect(body.sources[source]).not.toHaveProperty('batched')
      expect(res.headers['server-timing']).not.toMatch(/batch of/)
    }
    for (const source of SOURCE_NAMES) {
      const calls = rig.upstreams[source].requests
      expect(batchCalls(calls)).toEqual([])
      expect(calls.map((call) => call.url).sort()).toEqual(wanted.map((isbn) => `/books/${isbn}`).sort())
    }
  })

  it('a client that disconnects while the batch call is slow leaves the others answered, and the call is not aborted', async () => {
    rig = await startBatchingRig({
      publisher: { delayMs: 400 }, reviews: { delayMs: 400 }, recommendations: { delayMs: 400 }
    }, { UPSTREAM_TIMEOUT_MS: '5000', REQUEST_DEADLINE_MS: '5000' })
    const address = await rig.app.listen({ host: '127.0.0.1', port: 0 })
    // One socket per request, so destroying one request closes its connection only.
    const agent = new HttpAgent({ keepAlive: false })
    try {
      const wanted = isbns(5, 1200)
      const requests: ClientRequest[] = []
      const answers = wanted.map((isbn) => new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpGet(`${address}/books/${isbn}`, { agent }, (res: IncomingMessage) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => { body += chunk })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          res.on('error', reject)
        })
        req.on('error', reject)
        requests.push(req)
      }))
      const leaving = answers[2] as Promise<unknown>
      leaving.catch(() => undefined)

      // Once every upstream has its batch call in flight, the third client goes away.
      await waitUntil(() => SOURCE_NAMES.every((source) => rig!.upstreams[source].inFlight === 1), 'the batch calls')
      requests[2]!.destroy()
      await expect(leaving).rejects.toThrow()

      const stayed = await Promise.all(answers.filter((_, i) => i !== 2))
      const stayedIsbns = wanted.filter((_, i) => i !== 2)
      for (const [i, answer] of stayed.entries()) {
        expect(answer.status).toBe(200)
        const body = JSON.parse(answer.body) as BookBody
        expectOwnBook(body, stayedIsbns[i] as string)
        for (const source of SOURCE_NAMES) expect(body.sources[source]).toMatchObject({ status: 'ok', batched: 5 })
      }
      for (const source of SOURCE_NAMES) {
        const calls = rig.upstreams[source].requests
        expect(calls).toHaveLength(1)
        expect(isbnsOf(calls[0]!).sort()).toEqual([...wanted].sort())
        expect(calls[0]!.abortedByClient).toBe(false)
      }
    } finally {
      agent.destroy()
    }
  })

  it('a batch call that hangs: every caller settles each section timeout within its own deadline, and the call is aborted', async () => {
    const hang: BatchCapableOptions = { batch: () => ({ kind: 'hang' }) }
    rig = await startBatchingRig({ publisher: hang, reviews: hang, recommendations: hang }, { UPSTREAM_TIMEOUT_MS: '300' })
    const wanted = isbns(6, 1300)
    const started = performance.now()
    const responses = await Promise.all(wanted.map(async (isbn) => {
      const res = await getBook(isbn)
      return { res, atMs: performance.now() - started }
    }))

    for (const { res, atMs } of responses) {
      expect(res.statusCode).toBe(504)
      const body = res.json() as { type: string; sources: Record<SourceName, SourceReport> }
      expect(body.type).toMatch(/upstreams-timeout$/)
      for (const source of SOURCE_NAMES) {
        expect(body.sources[source]).toMatchObject({ status: 'timeout', detail: `${source} did not answer within 300 ms` })
        expect(body.sources[source].durationMs).toBeGreaterThanOrEqual(290)
        expect(body.sources[source].durationMs).toBeLessThan(600)
      }
      expect(atMs).toBeLessThan(600)
    }
    for (const source of SOURCE_NAMES) {
      await rig.upstreams[source].waitForAborts(1, 2000)
      expect(batchCalls(rig.upstreams[source].requests)).toHaveLength(1)
    }
  })

  it('a book missing from the batch answer is not_found for its caller alone', async () => {
    const wanted = isbns(4, 1400)
    const missing = wanted[1] as string
    rig = await startBatchingRig({ reviews: { entry: (isbn) => (isbn === missing ? ABSENT : undefined) } })
    const responses = await Promise.all(wanted.map(getBook))

    for (const [i, res] of responses.entries()) {
      const isbn = wanted[i] as string
      expect(res.statusCode).toBe(200)
      const body = res.json() as BookBody
      expect(body.publisher?.title).toBe(titleOf(isbn))
      expect(body.sources.publisher.status).toBe('ok')
      expect(body.sources.recommendations.status).toBe('ok')
      if (isbn === missing) {
        expect(body.sources.reviews).toMatchObject({ status: 'not_found', batched: 4 })
        expect(body.reviews).toBeNull()
      } else {
        expect(body.sources.reviews).toMatchObject({ status: 'ok', batched: 4 })
        expect(body.reviews?.items[0]?.text).toBe(reviewOf(isbn))
      }
    }
    expect(batchCalls(rig.upstreams.reviews.requests)).toHaveLength(1)
  })

  it('a malformed entry costs only that entry: invalid_response for its caller\'s section', async () => {
    const wanted = isbns(4, 1500)
    const broken = wanted[2] as string
    rig = await startBatchingRig({
      recommendations: { entry: (isbn) => (isbn === broken ? { isbn, items: 'not a list' } : undefined) }
    })
    const responses = await Promise.all(wanted.map(getBook))

    for (const [i, res] of responses.entries()) {
      const isbn = wanted[i] as string
      expect(res.statusCode).toBe(200)
      const body = res.json() as BookBody
      expect(body.sources.publisher.status).toBe('ok')
      expect(body.sources.reviews.status).toBe('ok')
      if (isbn === broken) {
        expect(body.sources.recommendations).toMatchObject({ status: 'invalid_response', batched: 4 })
        expect(body.sources.recommendations.detail).toContain(broken)
        expect(body.recommendations).toBeNull()
        expect(body.complete).toBe(false)
      } else {
        expectOwnBook(body, isbn)
        expect(body.sources.recommendations).toMatchObject({ status: 'ok', batched: 4 })
      }
    }
  })

  it('a batch call answered 503 gives each caller that section\'s error with httpStatus 503, as a single call would', async () => {
    const unavailable: BatchCapableOptions = { batch: () => ({ kind: 'json', status: 503, body: { error: 'unavailable' } }) }
    rig = await startBatchingRig({ reviews: unavailable })
    const wanted = isbns(3, 1600)
    const responses = await Promise.all(wanted.map(getBook))

    // The same book without batching, from an upstream that answers 503 to single calls too.
    extra = await startRigWithoutCache({ reviews: { kind: 'json', status: 503, body: { error: 'unavailable' } } }, { RATE_LIMIT_MAX: '100000' })
    const single = (await extra.app.inject({ method: 'GET', url: `/books/${wanted[0] as string}` })).json() as BookBody
    const { durationMs: _singleMs, ...singleReport } = single.sources.reviews
    expect(singleReport).toMatchObject({ status: 'error', httpStatus: 503 })

    for (const [i, res] of responses.entries()) {
      expect(res.statusCode).toBe(200)
      const body = res.json() as BookBody
      expect(body.publisher?.title).toBe(titleOf(wanted[i] as string))
      const { durationMs: _ms, batched, ...report } = body.sources.reviews
      expect(report).toStrictEqual(singleReport)
      expect(batched).toBe(3)
    }
    // One batch call, and the one retry a 503 earns: as for a single call.
    expect(batchCalls(rig.upstreams.reviews.requests)).toHaveLength(extra.upstreams.reviews.requests.length)
  })

  it('an upstream that answers 404 to the batch endpoint is an error saying so, not not_found for every book', async () => {
    rig = await startBatchingRig({ reviews: { batch: () => ({ kind: 'json', status: 404, body: { error: 'no such route' } }) } })
    const responses = await Promise.all(isbns(2, 1700).map(getBook))
    for (const res of responses) {
      expect(res.statusCode).toBe(200)
      const report = (res.json() as BookBody).sources.reviews
      expect(report).toMatchObject({ status: 'error', httpStatus: 404 })
      expect(report.detail).toMatch(/does not serve the batch endpoint \(NATIVE_BATCH_MAX\)/)
    }
  })
})

describe('POST /books/batch with the batch endpoint (NATIVE_BATCH_MAX=25)', () => {
  interface BatchItem { index: number; isbn: string; status: number; book?: BookBody }

  it('100 distinct ISBNs make at most ⌈100/25⌉ + 1 = 5 calls per upstream, every item 200 with its own book', async () => {
    rig = await startBatchingRig()
    const wanted = isbns(100, 2000)
    const res = await rig.app.inject({
      method: 'POST', url: '/books/batch', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ isbns: wanted })
    })
    expectMatchesContract('/books/batch', 'POST', res)
    expect(res.statusCode).toBe(200)
    const { results } = res.json() as { results: BatchItem[] }
    expect(results).toHaveLength(100)
    for (const [i, item] of results.entries()) {
      expect(item).toMatchObject({ index: i, isbn: wanted[i], status: 200 })
      expectOwnBook(item.book as BookBody, wanted[i] as string)
    }
    for (const source of SOURCE_NAMES) {
      expect(rig.upstreams[source].requests.length).toBeLessThanOrEqual(5)
      expect(singleCalls(rig.upstreams[source].requests)).toEqual([])
      expect(askedFor(rig, source).sort()).toEqual([...wanted].sort())
    }
  })

  it('streams all 100 items as NDJSON, from the same few calls', async () => {
    rig = await startBatchingRig()
    const wanted = isbns(100, 2200)
    const res = await rig.app.inject({
      method: 'POST',
      url: '/books/batch',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      payload: JSON.stringify({ isbns: wanted })
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/)
    expectMatchesContract('/books/batch', 'POST', { statusCode: res.statusCode, headers: res.headers, body: '' })
    const lines = res.body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as BatchItem)

    expect(lines).toHaveLength(100)
    expect(lines.map((item) => item.index).sort((a, b) => a - b)).toEqual(wanted.map((_, i) => i))
    for (const item of lines) {
      expect(item.status).toBe(200)
      expect(item.isbn).toBe(wanted[item.index])
      expectOwnBook(item.book as BookBody, item.isbn)
    }
    for (const source of SOURCE_NAMES) {
      expect(rig.upstreams[source].requests.length).toBeLessThanOrEqual(5)
      expect(askedFor(rig, source).sort()).toEqual([...wanted].sort())
    }
  })
})

describe('batching in metrics and Server-Timing', () => {
  it('book_aggregator_upstream_batch_size counts the calls and the ISBNs they carried; Server-Timing says batch of N', async () => {
    rig = await startBatchingRig()
    const wanted = isbns(12, 2400)
    const responses = await Promise.all(wanted.map(getBook))

    const metrics = await rig.app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.statusCode).toBe(200)
    const samples = parsePrometheus(metrics.body)
    for (const source of SOURCE_NAMES) {
      const calls = batchCalls(rig.upstreams[source].requests)
      const labels = `{source="${source}",endpoint="books"}`
      expect(samples.get(`book_aggregator_upstream_batch_size_count${labels}`)).toBe(calls.length)
      expect(samples.get(`book_aggregator_upstream_batch_size_sum${labels}`)).toBe(calls.reduce((n, call) => n + isbnsOf(call).length, 0))
      expect(samples.get(`book_aggregator_upstream_batch_size_sum${labels}`)).toBe(12)
    }
    for (const res of responses) {
      const body = res.json() as BookBody
      for (const source of SOURCE_NAMES) {
        const { batched } = body.sources[source]
        expect(batched).toBeGreaterThanOrEqual(2)
        expect(res.headers['server-timing']).toContain(`${source};dur=${body.sources[source].durationMs};desc="ok (batch of ${String(batched)})"`)
      }
    }
  })
})

/** Prometheus text → `name{labels}` → value. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line)
    if (match === null) throw new Error(`not Prometheus text: ${line}`)
    samples.set(match[1] as string, Number(match[2]))
  }
  return samples
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const until = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
