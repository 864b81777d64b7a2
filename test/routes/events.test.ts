import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { SOURCE_NAMES } from '../../src/domain/sources.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { nthIsbn } from '../helpers/isbn.js'
import { DUNE, ok, startRigWithoutCache, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined
let agent: Agent | undefined

afterEach(async () => {
  await agent?.destroy()
  agent = undefined
  await rig?.close()
  rig = undefined
})


/** One SSE block: a comment line, or an event with its (JSON) data, stamped with its arrival. */
type Block =
  | { kind: 'comment'; text: string; atMs: number }
  | { kind: 'event'; event: string; data: unknown; atMs: number }

interface SourceEvent { source: string; status: string; durationMs: number; data: unknown }

/** Parses a text/event-stream body incrementally (blocks end with a blank line). */
async function readBlocks(body: AsyncIterable<Buffer>, started: number, onBlock?: (block: Block) => void): Promise<Block[]> {
  const blocks: Block[] = []
  let pending = ''
  for await (const chunk of body) {
    pending += chunk.toString('utf8')
    let end = pending.indexOf('\n\n')
    while (end >= 0) {
      const lines = pending.slice(0, end).split('\n')
      pending = pending.slice(end + 2)
      const atMs = performance.now() - started
      const block: Block = lines.every((l) => l.startsWith(':'))
        ? { kind: 'comment', text: lines.map((l) => l.slice(1).trim()).join('\n'), atMs }
        : {
            kind: 'event',
            event: lines.find((l) => l.startsWith('event: '))?.slice('event: '.length) ?? 'message',
            data: JSON.parse(lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice('data: '.length)).join('\n')),
            atMs
          }
      blocks.push(block)
      onBlock?.(block)
      end = pending.indexOf('\n\n')
    }
  }
  // The stream ended on a block boundary: nothing half-written was left behind.
  expect(pending).toBe('')
  return blocks
}

const eventsOf = (blocks: Block[]) => blocks.filter((b): b is Extract<Block, { kind: 'event' }> => b.kind === 'event')

async function openEvents(path: string, signal?: AbortSignal) {
  const address = await rig!.app.listen({ host: '127.0.0.1', port: 0 })
  // Our own agent, destroyed after each test: no keep-alive socket may hold the server open.
  agent = new Agent()
  return request(`${address}${path}`, {
    headers: { accept: 'text/event-stream' },
    dispatcher: agent,
    ...(signal === undefined ? {} : { signal })
  })
}

describe('GET /books/{isbn}/events', () => {
  it('one source event per upstream in completion order, then the book, then the stream closes', async () => {
    rig = await startRigWithoutCache({
      publisher: ok('publisher', 300), reviews: ok('reviews', 100), recommendations: ok('recommendations', 200)
    })
    const started = performance.now()
    const res = await openEvents(`/books/${DUNE}/events`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(res.headers['cache-control']).toBe('no-store')
    // The event-stream media type is declared (the events are checked one by one below).
    expectMatchesContract('/books/{isbn}/events', 'GET', { statusCode: res.statusCode, headers: res.headers, body: '' })
    expect(res.headers['content-encoding']).toBeUndefined()
    // readBlocks returns only when the server ends the stream.
    const events = eventsOf(await readBlocks(res.body, started))

    expect(events.map((e) => e.event)).toEqual(['source', 'source', 'source', 'book'])
    const sources = events.slice(0, 3).map((e) => e.data as SourceEvent)
    expect(sources.map((s) => s.source)).toEqual(['reviews', 'recommendations', 'publisher'])
    for (const s of sources) {
      expect(Object.keys(s).sort()).toEqual(['data', 'durationMs', 'source', 'status'])
      expect(s.status).toBe('ok')
      expect(typeof s.durationMs).toBe('number')
    }
    const [reviews, recommendations, publisher] = sources as [SourceEvent, SourceEvent, SourceEvent]
    expect(reviews.durationMs).toBeGreaterThanOrEqual(90)
    expect(recommendations.durationMs).toBeGreaterThanOrEqual(190)
    expect(publisher.durationMs).toBeGreaterThanOrEqual(290)
    expect(reviews.data).toMatchObject({ averageRating: 4.5, ratingsCount: 2 })
    expect(recommendations.data).toMatchObject({ items: [{ isbn: '9780441172719', title: 'Dune Messiah' }] })
    expect(publisher.data).toMatchObject({ title: 'Dune', authors: ['Frank Herbert'] })
    expect(publisher.data).not.toHaveProperty('internalId')

    // Progressive: the first section arrived on its own, ~200 ms before the book. A buffered
    // stream would deliver them together (a gap of ~0); the margin is for a loaded machine.
    expect(events[3]!.atMs - events[0]!.atMs).toBeGreaterThanOrEqual(30)

    expect(events[3]!.data).toMatchObject({
      isbn: DUNE,
      isbn10: '0441013597',
      publisher: { title: 'Dune' },
      reviews: { averageRating: 4.5 },
      recommendations: { items: [{ title: 'Dune Messiah' }] },
      sources: { publisher: { status: 'ok' }, reviews: { status: 'ok' }, recommendations: { status: 'ok' } },
      complete: true
    })
    for (const source of SOURCE_NAMES) {
      expect(rig.upstreams[source].requests.map((r) => r.url)).toEqual([`/books/${DUNE}`])
    }
  })

  it('include limits the source events to the named upstreams', async () => {
    rig = await startRigWithoutCache()
    const res = await openEvents(`/books/${DUNE}/events?include=publisher,reviews`)
    const events = eventsOf(await readBlocks(res.body, performance.now()))
    expect(events.map((e) => e.event)).toEqual(['source', 'source', 'book'])
    expect(events.slice(0, 2).map((e) => (e.data as SourceEvent).source).sort()).toEqual(['publisher', 'reviews'])
    expect(events[2]!.data).toMatchObject({ recommendations: null, sources: { recommendations: { status: 'skipped' } } })
    expect(rig.upstreams.recommendations.requests).toHaveLength(0)
  })

  it('a partial answer: a failed source is reported as such, and the book is not complete', async () => {
    rig = await startRigWithoutCache({ reviews: { kind: 'json', status: 500, body: {} } })
    const res = await openEvents(`/books/${DUNE}/events`)
    const events = eventsOf(await readBlocks(res.body, performance.now()))
    const reviews = events.map((e) => e.data as SourceEvent).find((d) => d.source === 'reviews')
    expect(reviews).toMatchObject({ status: 'error', data: null })
    expect(events.at(-1)).toMatchObject({ event: 'book', data: { complete: false, reviews: null, publisher: { title: 'Dune' } } })
  })

  it('a book no source knows ends with a problem event (404 details) instead of a book', async () => {
    rig = await startRigWithoutCache({ publisher: { kind: 'json', status: 404, body: {} } })
    const res = await openEvents(`/books/${nthIsbn(5)}/events`)
    // The stream itself is fine; the outcome is in the events.
    expect(res.statusCode).toBe(200)
    const events = eventsOf(await readBlocks(res.body, performance.now()))
    expect(events.map((e) => e.event)).toEqual(['source', 'source', 'source', 'problem'])
    expect(events.map((e) => e.data as SourceEvent).find((d) => d.source === 'publisher')).toMatchObject({ status: 'not_found' })
    expect(events[3]!.data).toMatchObject({
      type: 'https://book-aggregator.dev/problems/book-not-found',
      title: 'Book not found',
      status: 404,
      sources: { publisher: { status: 'not_found' } }
    })
  })

  it.each([
    ['a bad check digit', '/books/9780441013594/events', 'invalid-isbn'],
    ['not an ISBN', '/books/hello/events', 'invalid-isbn'],
    ['an unknown include', `/books/${DUNE}/events?include=prices`, 'invalid-parameter']
  ])('%s is a 400 problem+json, not a stream', async (_name, url, slug) => {
    rig = await startRigWithoutCache()
    const res = await rig.app.inject({ method: 'GET', url, headers: { accept: 'text/event-stream' } })
    expectMatchesContract('/books/{isbn}/events', 'GET', res)
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ type: `https://book-aggregator.dev/problems/${slug}`, status: 400 })
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('sends keep-alive comments while the upstreams are slow', async () => {
    rig = await startRigWithoutCache({
      publisher: ok('publisher', 350), reviews: ok('reviews', 350), recommendations: ok('recommendations', 350)
    }, { SSE_HEARTBEAT_MS: '100' })
    const res = await openEvents(`/books/${DUNE}/events`)
    const blocks = await readBlocks(res.body, performance.now())
    const firstEvent = blocks.findIndex((b) => b.kind === 'event')
    const heartbeats = blocks.slice(0, firstEvent).filter((b) => b.kind === 'comment' && b.text === 'keep-alive')
    expect(heartbeats.length).toBeGreaterThanOrEqual(1)
    expect(eventsOf(blocks).at(-1)?.event).toBe('book')
  })

  it('the client leaving aborts the upstream calls', async () => {
    rig = await startRigWithoutCache({ publisher: { kind: 'hang' }, reviews: { kind: 'hang' }, recommendations: { kind: 'hang' } },
      { UPSTREAM_TIMEOUT_MS: '20000', REQUEST_DEADLINE_MS: '20000', SSE_HEARTBEAT_MS: '100' })
    const leaving = new AbortController()
    const res = await openEvents(`/books/${DUNE}/events`, leaving.signal)
    expect(res.statusCode).toBe(200)
    const blocks: Block[] = []
    const reading = readBlocks(res.body, performance.now(), (block) => blocks.push(block))
    reading.catch(() => undefined)
    const until = performance.now() + 3000
    while (!(blocks.length > 0 && SOURCE_NAMES.every((s) => rig!.upstreams[s].requests.length === 1))) {
      if (performance.now() > until) throw new Error('the stream did not open, or the upstreams were not called')
      await sleep(10)
    }
    leaving.abort()
    await expect(reading).rejects.toThrow()
    // Timeouts are 20 s away: these aborts can only come from the client leaving.
    await Promise.all(SOURCE_NAMES.map((s) => rig!.upstreams[s].waitForAborts(1, 2000)))
    for (const source of SOURCE_NAMES) expect(rig.upstreams[source].requests[0]!.abortedByClient).toBe(true)
  })
})
