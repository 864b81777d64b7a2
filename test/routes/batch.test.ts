import type { IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { Agent, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'
import type { Behaviour } from '../helpers/fake-upstream.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { nthIsbn } from '../helpers/isbn.js'
import { DUNE, okBody, startRigWithoutCache, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined
let agent: Agent | undefined

afterEach(async () => {
  await agent?.destroy()
  agent = undefined
  await rig?.close()
  rig = undefined
})


interface BatchItem {
  index: number
  isbn: string
  status: number
  book?: Record<string, unknown> & { isbn: string; sources: Record<string, { status: string }> }
  error?: { type: string; title: string; status: number; detail: string; sources?: Record<string, { status: string }> }
}

const isbnInUrl = (req: IncomingMessage): string => (req.url ?? '').split('/').pop() ?? ''

/** Each upstream answers with the book it was asked for, after `delayMs(isbn)`. */
function perIsbn(source: SourceName, delayMs: (isbn: string) => number = () => 0): (req: IncomingMessage) => Behaviour {
  return (req) => ({ kind: 'json', body: okBody(source, isbnInUrl(req)), delayMs: delayMs(isbnInUrl(req)) })
}

function everyUpstream(rigged: TestRig, fn: (source: SourceName) => (req: IncomingMessage) => Behaviour): void {
  for (const source of SOURCE_NAMES) rigged.upstreams[source].respond(fn(source))
}

async function postBatch(payload: unknown, headers: Record<string, string> = {}) {
  const res = await rig!.app.inject({
    method: 'POST',
    url: '/books/batch',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload)
  })
  expectMatchesContract('/books/batch', 'POST', res)
  return res
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const until = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

describe('POST /books/batch (JSON)', () => {
  it('answers 200 with one result per input, in input order, each with its index', async () => {
    rig = await startRigWithoutCache()
    const slow = nthIsbn(1)
    // The first item is the slowest, so completion order differs from input order.
    everyUpstream(rig, (source) => perIsbn(source, (isbn) => (isbn === slow ? 200 : 0)))
    const inputs = [slow, nthIsbn(2), DUNE, nthIsbn(3)]
    const res = await postBatch({ isbns: inputs })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['cache-control']).toBe('no-store')
    const { results } = res.json() as { results: BatchItem[] }
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3])
    expect(results.map((r) => r.isbn)).toEqual(inputs)
    for (const [i, item] of results.entries()) {
      expect(item.status).toBe(200)
      expect(item.error).toBeUndefined()
      expect(item.book).toMatchObject({ isbn: inputs[i], complete: true, publisher: { title: 'Dune' } })
    }
  })

  it('accepts a gzip-compressed request body', async () => {
    rig = await startRigWithoutCache()
    const res = await rig.app.inject({
      method: 'POST',
      url: '/books/batch',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify({ isbns: [DUNE] }))
    })
    expectMatchesContract('/books/batch', 'POST', res)
    expect(res.statusCode).toBe(200)
    expect((res.json() as { results: BatchItem[] }).results[0]).toMatchObject({ isbn: DUNE, status: 200 })
  })

  it('an invalid ISBN is a per-item 400 problem; the other items are still looked up', async () => {
    rig = await startRigWithoutCache()
    everyUpstream(rig, (source) => perIsbn(source))
    const inputs = [nthIsbn(1), 'not-an-isbn', '9780441013594', nthIsbn(2)]
    const res = await postBatch({ isbns: inputs })
    expect(res.statusCode).toBe(200)
    const { results } = res.json() as { results: BatchItem[] }
    expect(results.map((r) => [r.index, r.status])).toEqual([[0, 200], [1, 400], [2, 400], [3, 200]])
    for (const bad of [results[1]!, results[2]!]) {
      // The input is echoed as sent: there is no normalized form of an invalid ISBN.
      expect(bad.isbn).toBe(inputs[bad.index])
      expect(bad.book).toBeUndefined()
      expect(bad.error).toMatchObject({
        type: 'https://book-aggregator.dev/problems/invalid-isbn', title: 'Invalid ISBN', status: 400
      })
      expect(bad.error?.detail).toMatch(/^The ISBN /)
    }
    expect(results[2]!.error?.detail).toMatch(/check digit/)
    // Invalid items never reach an upstream.
    for (const source of SOURCE_NAMES) {
      expect(rig.upstreams[source].requests.map((r) => r.url).sort())
        .toEqual([`/books/${nthIsbn(1)}`, `/books/${nthIsbn(2)}`].sort())
    }
  })

  it('duplicates (ISBN-13, ISBN-10, hyphenated) are fetched once and answered at every index', async () => {
    // One book at a time: duplicates never overlap, so upstream coalescing cannot hide a second lookup.
    rig = await startRigWithoutCache({}, { BATCH_CONCURRENCY: '1' })
    everyUpstream(rig, (source) => perIsbn(source, () => 50))
    const inputs = [DUNE, '0441013597', '978-0-441-01359-3', nthIsbn(7), '0-441-01359-7']
    const res = await postBatch({ isbns: inputs })
    expect(res.statusCode).toBe(200)
    const { results } = res.json() as { results: BatchItem[] }
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4])
    for (const i of [0, 1, 2, 4]) {
      expect(results[i]).toMatchObject({ index: i, isbn: DUNE, status: 200, book: { isbn: DUNE, isbn10: '0441013597' } })
    }
    expect(results[3]).toMatchObject({ isbn: nthIsbn(7), status: 200 })
    for (const source of SOURCE_NAMES) {
      const urls = rig.upstreams[source].requests.map((r) => `${r.method} ${r.url}`)
      expect(urls.filter((u) => u === `GET /books/${DUNE}`)).toHaveLength(1)
      expect(urls).toHaveLength(2)
    }
  })

  it('per-item 404, 502 and 504 carry problem details; the batch itself is 200', async () => {
    // A timeout well above a loaded machine's round trip: only the hanging item may time out.
    rig = await startRigWithoutCache({}, { PUBLISHER_TIMEOUT_MS: '1000', RETRY_ENABLED: 'false' })
    const [found, missing, broken, hanging] = [nthIsbn(10), nthIsbn(11), nthIsbn(12), nthIsbn(13)]
    rig.upstreams.publisher.respond((req): Behaviour => {
      switch (isbnInUrl(req)) {
        case missing: return { kind: 'json', status: 404, body: {} }
        case broken: return { kind: 'json', status: 500, body: {} }
        case hanging: return { kind: 'hang' }
        default: return perIsbn('publisher')(req)
      }
    })
    const started = performance.now()
    const res = await postBatch({ isbns: [found, missing, broken, hanging], include: ['publisher'] })
    expect(res.statusCode).toBe(200)
    const { results } = res.json() as { results: BatchItem[] }
    expect(results.map((r) => r.status)).toEqual([200, 404, 502, 504])
    expect(results[0]!.book?.publisher).toMatchObject({ title: 'Dune' })
    expect(results[1]).toMatchObject({
      isbn: missing,
      error: { type: 'https://book-aggregator.dev/problems/book-not-found', status: 404, sources: { publisher: { status: 'not_found' } } }
    })
    expect(results[2]).toMatchObject({
      isbn: broken,
      error: { type: 'https://book-aggregator.dev/problems/upstreams-failed', status: 502, sources: { publisher: { status: 'error' } } }
    })
    expect(results[3]).toMatchObject({
      isbn: hanging,
      error: { type: 'https://book-aggregator.dev/problems/upstreams-timeout', status: 504, sources: { publisher: { status: 'timeout' } } }
    })
    for (const failed of results.slice(1)) expect(failed.book).toBeUndefined()
    // The hanging item costs its own timeout, not the whole request deadline (3000 ms).
    expect(performance.now() - started).toBeLessThan(2800)
  })

  it('respects include: only the named sources are called, the others are skipped', async () => {
    rig = await startRigWithoutCache()
    everyUpstream(rig, (source) => perIsbn(source))
    const res = await postBatch({ isbns: [nthIsbn(1), nthIsbn(2)], include: ['reviews'] })
    expect(res.statusCode).toBe(200)
    const { results } = res.json() as { results: BatchItem[] }
    for (const item of results) {
      expect(item.status).toBe(200)
      expect(item.book).toMatchObject({
        publisher: null,
        reviews: { averageRating: 4.5 },
        recommendations: null,
        sources: { publisher: { status: 'skipped' }, reviews: { status: 'ok' }, recommendations: { status: 'skipped' } }
      })
    }
    expect(rig.upstreams.reviews.requests).toHaveLength(2)
    expect(rig.upstreams.publisher.requests).toHaveLength(0)
    expect(rig.upstreams.recommendations.requests).toHaveLength(0)
  })

  describe('body validation: 400 problem+json, no upstream call', () => {
    async function expectRejected(payload: unknown): Promise<void> {
      rig = await startRigWithoutCache()
      const res = await postBatch(payload)
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String) })
      expect(rig.upstreamRequestCount()).toBe(0)
    }

    it.each<[string, unknown]>([
      ['an empty list', { isbns: [] }],
      ['101 items', { isbns: Array.from({ length: 101 }, (_, i) => nthIsbn(i)) }],
      ['a missing isbns', { include: ['publisher'] }],
      ['an object item', { isbns: [DUNE, {}] }],
      ['an item over 64 characters', { isbns: [DUNE, '9'.repeat(65)] }],
      ['an unknown include value', { isbns: [DUNE], include: ['publisher', 'prices'] }],
      ['an empty include', { isbns: [DUNE], include: [] }],
      ['a body that is not an object', [DUNE]],
      ['malformed JSON', '{"isbns": ["9780441013593"']
    ])('%s', async (_name, payload) => expectRejected(payload))

    // The schema says strings, lists and no other properties: nothing is coerced into shape or stripped.
    it.each<[string, unknown]>([
      ['a number item', { isbns: [9780441013593] }],
      ['a null item', { isbns: [DUNE, null] }],
      ['a boolean item', { isbns: [true] }],
      ['a one-element list as an item', { isbns: [[DUNE]] }],
      ['isbns as a bare string', { isbns: DUNE }],
      ['include as a bare string', { isbns: [DUNE], include: 'publisher' }],
      ['an unknown property', { isbns: [DUNE], limit: 5 }]
    ])('strict types: %s', async (_name, payload) => expectRejected(payload))

    it('the largest valid batch (100 items) is accepted', async () => {
      rig = await startRigWithoutCache()
      everyUpstream(rig, (source) => perIsbn(source))
      const res = await postBatch({ isbns: Array.from({ length: 100 }, (_, i) => nthIsbn(i)), include: ['publisher'] })
      expect(res.statusCode).toBe(200)
      const { results } = res.json() as { results: BatchItem[] }
      expect(results).toHaveLength(100)
      expect(results.every((r, i) => r.index === i && r.status === 200)).toBe(true)
    })
  })

  it.each(['application/x-www-form-urlencoded', 'application/xml', 'text/plain'])(
    'a %s body is 415 problem+json', async (contentType) => {
      rig = await startRigWithoutCache()
      const res = await postBatch(JSON.stringify({ isbns: [DUNE] }), { 'content-type': contentType })
      expect(res.statusCode).toBe(415)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ status: 415 })
      expect(rig.upstreamRequestCount()).toBe(0)
    })

  it('a body over 32 KB is 413 problem+json', async () => {
    rig = await startRigWithoutCache()
    const payload = JSON.stringify({ isbns: [DUNE], padding: 'x'.repeat(33 * 1024) })
    const res = await postBatch(payload)
    expect(res.statusCode).toBe(413)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 413 })
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('BATCH_CONCURRENCY=3: the upstreams never see more than 3 books at once, and 12 books take about 4 rounds', async () => {
    const delayMs = 200
    rig = await startRigWithoutCache({}, { BATCH_CONCURRENCY: '3' })
    everyUpstream(rig, (source) => perIsbn(source, () => delayMs))
    const isbns = Array.from({ length: 12 }, (_, i) => nthIsbn(100 + i))
    const started = performance.now()
    const res = await postBatch({ isbns })
    const elapsed = performance.now() - started
    expect(res.statusCode).toBe(200)
    expect((res.json() as { results: BatchItem[] }).results.every((r) => r.status === 200)).toBe(true)
    for (const source of SOURCE_NAMES) {
      expect(rig.upstreams[source].requests).toHaveLength(12)
      // The bound holds, and is used: exactly 3 at once at the peak.
      expect(rig.upstreams[source].maxInFlight).toBe(3)
    }
    // 4 rounds of 200 ms: never fewer (that would break the bound), far from 12 one by one (2400 ms).
    expect(elapsed).toBeGreaterThanOrEqual(4 * delayMs - 20)
    expect(elapsed).toBeLessThan(1600)
  })

  it('the default concurrency is 8 books at a time', async () => {
    rig = await startRigWithoutCache()
    everyUpstream(rig, (source) => perIsbn(source, () => 100))
    const res = await postBatch({ isbns: Array.from({ length: 20 }, (_, i) => nthIsbn(200 + i)), include: ['publisher'] })
    expect(res.statusCode).toBe(200)
    expect(rig.upstreams.publisher.requests).toHaveLength(20)
    expect(rig.upstreams.publisher.maxInFlight).toBe(8)
  })
})

describe('POST /books/batch (NDJSON over a real socket)', () => {
  interface Line { item: BatchItem; atMs: number }

  /** Reads the body line by line as it arrives, stamping each line with its arrival time. */
  async function readLines(body: AsyncIterable<Buffer>, started: number, onLine?: (line: Line) => void): Promise<Line[]> {
    const lines: Line[] = []
    let pending = ''
    for await (const chunk of body) {
      pending += chunk.toString('utf8')
      let newline = pending.indexOf('\n')
      while (newline >= 0) {
        const text = pending.slice(0, newline)
        pending = pending.slice(newline + 1)
        const line = { item: JSON.parse(text) as BatchItem, atMs: performance.now() - started }
        lines.push(line)
        onLine?.(line)
        newline = pending.indexOf('\n')
      }
    }
    expect(pending).toBe('')
    return lines
  }

  async function openStream(payload: unknown, signal?: AbortSignal) {
    const address = await rig!.app.listen({ host: '127.0.0.1', port: 0 })
    // Our own agent, destroyed after each test: no keep-alive socket may hold the server open.
    agent = new Agent()
    return request(`${address}/books/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: JSON.stringify(payload),
      dispatcher: agent,
      ...(signal === undefined ? {} : { signal })
    })
  }

  it('streams one JSON line per item as each completes; fast items arrive before the slow one finishes', async () => {
    rig = await startRigWithoutCache()
    const slow = nthIsbn(300)
    everyUpstream(rig, (source) => perIsbn(source, (isbn) => (isbn === slow ? 1000 : 20)))
    const inputs = [slow, nthIsbn(301), 'bogus', nthIsbn(302), '0441013597', DUNE]
    const started = performance.now()
    const res = await openStream({ isbns: inputs })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/)
    expect(res.headers['content-encoding']).toBeUndefined()
    // The NDJSON media type is declared (its lines are checked one by one below).
    expectMatchesContract('/books/batch', 'POST', { statusCode: res.statusCode, headers: res.headers, body: '' })
    const lines = await readLines(res.body, started)

    expect(lines).toHaveLength(inputs.length)
    expect(lines.map((l) => l.item.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5])
    const byIndex = new Map(lines.map((l) => [l.item.index, l]))
    expect(byIndex.get(2)!.item).toMatchObject({ isbn: 'bogus', status: 400, error: { status: 400 } })
    expect(byIndex.get(4)!.item).toMatchObject({ isbn: DUNE, status: 200 })
    expect(byIndex.get(5)!.item).toMatchObject({ isbn: DUNE, status: 200 })
    const slowLine = byIndex.get(0)!
    expect(slowLine.item).toMatchObject({ isbn: slow, status: 200, book: { isbn: slow } })

    // Completion order, not input order: the slow first item is the last line.
    expect(lines.at(-1)!.item.index).toBe(0)
    expect(lines[0]!.atMs).toBeLessThan(600)
    for (const line of lines.slice(0, -1)) expect(line.atMs).toBeLessThan(slowLine.atMs)
    expect(slowLine.atMs).toBeGreaterThanOrEqual(950)
    // DUNE twice (as ISBN-10 and ISBN-13) is one upstream call.
    expect(rig.upstreams.publisher.requests.filter((r) => r.url === `/books/${DUNE}`)).toHaveLength(1)
  })

  it('a client that disconnects mid-stream cancels the work in flight and starts no more', async () => {
    // Timeouts far away: any abort the upstreams see comes from the client leaving.
    rig = await startRigWithoutCache({}, { BATCH_CONCURRENCY: '2', UPSTREAM_TIMEOUT_MS: '20000', REQUEST_DEADLINE_MS: '20000' })
    const isbns = Array.from({ length: 10 }, (_, i) => nthIsbn(400 + i))
    const fast = new Set(isbns.slice(0, 2))
    everyUpstream(rig, (source) => (req) => (fast.has(isbnInUrl(req)) ? perIsbn(source)(req) : { kind: 'hang' }))

    const leaving = new AbortController()
    const started = performance.now()
    const res = await openStream({ isbns }, leaving.signal)
    expect(res.statusCode).toBe(200)
    const received: Line[] = []
    const reading = readLines(res.body, started, (line) => received.push(line))
    reading.catch(() => undefined)

    // The two fast items are streamed; the next two are now hanging at every upstream.
    await waitUntil(() => received.length === 2, 'the first two lines')
    await waitUntil(() => SOURCE_NAMES.every((s) => rig!.upstreams[s].requests.length === 4), 'items 3 and 4 to reach the upstreams')
    expect(received.map((l) => l.item.index).sort()).toEqual([0, 1])

    leaving.abort()
    await expect(reading).rejects.toThrow()
    await Promise.all(SOURCE_NAMES.map((s) => rig!.upstreams[s].waitForAborts(2, 2000)))
    // Give a worker that failed to stop the time to start the next item.
    await sleep(300)
    for (const source of SOURCE_NAMES) {
      const seen = rig.upstreams[source].requests
      expect(seen).toHaveLength(4)
      expect(seen.slice(2).every((r) => r.abortedByClient)).toBe(true)
      expect(rig.upstreams[source].inFlight).toBe(0)
    }
  })
})
