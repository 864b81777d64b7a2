import { Agent, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { nthIsbn } from '../helpers/isbn.js'
import { DUNE, ok, okBody, startRigWithoutCache, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined


afterEach(async () => {
  await rig?.close()
  rig = undefined
})

async function getBook(isbn: string, query = '') {
  const res = await rig!.app.inject({ method: 'GET', url: `/books/${isbn}${query}` })
  expectMatchesContract('/books/{isbn}', 'GET', res)
  return res
}

const reviewsOf = (res: { json: () => { sources: { reviews: Record<string, unknown> } } }) => res.json().sources.reviews

describe('bulkhead', () => {
  it('settles overloaded at once when the in-flight limit and the queue are full', async () => {
    rig = await startRigWithoutCache({ reviews: ok('reviews', 300) }, { UPSTREAM_MAX_CONCURRENCY: '2', UPSTREAM_MAX_QUEUE: '1' })
    const started = performance.now()
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => getBook(nthIsbn(i), '?include=reviews')))
    const statuses = responses.map((r) => reviewsOf(r).status)
    expect(statuses.filter((s) => s === 'ok')).toHaveLength(3)
    const overloaded = responses.filter((r) => reviewsOf(r).status === 'overloaded')
    expect(overloaded).toHaveLength(3)
    for (const res of overloaded) {
      expect(reviewsOf(res).durationMs).toBeLessThan(100)
      // The only included source failed (not by timeout): 502, with the reason in `sources`.
      expect(res.statusCode).toBe(502)
    }
    expect(rig.upstreams.reviews.requests).toHaveLength(3)
    // Two in flight, one queued behind them: about two upstream latencies in all.
    expect(performance.now() - started).toBeLessThan(1200)
  })
})

describe('request coalescing', () => {
  it('1000 concurrent cold requests for one ISBN make exactly one call per upstream', async () => {
    rig = await startRigWithoutCache({
      publisher: ok('publisher', 200), reviews: ok('reviews', 200), recommendations: ok('recommendations', 200)
    }, { RATE_LIMIT_MAX: '0' })
    const responses = await Promise.all(Array.from({ length: 1000 }, () =>
      rig!.app.inject({ method: 'GET', url: `/books/${DUNE}` })))
    expect(responses.every((r) => r.statusCode === 200)).toBe(true)
    for (const upstream of Object.values(rig.upstreams)) expect(upstream.requests).toHaveLength(1)
    expect(responses[999]!.json().sources.publisher).toMatchObject({ status: 'ok', coalesced: true })
  })

  it('a waiter that leaves does not cancel the shared call for the others', async () => {
    rig = await startRigWithoutCache({ publisher: ok('publisher', 400), reviews: ok('reviews', 400), recommendations: ok('recommendations', 400) })
    const address = await rig.app.listen({ host: '127.0.0.1', port: 0 })
    // Our own agent, destroyed at the end: a spare keep-alive socket must not hold the server open.
    const agent = new Agent()
    const leaving = new AbortController()
    const first = request(`${address}/books/${DUNE}`, { signal: leaving.signal, dispatcher: agent })
    first.catch(() => undefined)
    const second = request(`${address}/books/${DUNE}`, { dispatcher: agent })
    setTimeout(() => leaving.abort(), 100)
    const res = await second
    expect(res.statusCode).toBe(200)
    const body = await res.body.json() as { sources: Record<string, { status: string }> }
    expect(body.sources.publisher?.status).toBe('ok')
    for (const upstream of Object.values(rig.upstreams)) {
      expect(upstream.requests).toHaveLength(1)
      expect(upstream.requests[0]!.abortedByClient).toBe(false)
    }
    await expect(first).rejects.toThrow()
    await agent.destroy()
  })
})

describe('circuit breaker', () => {
  it('opens on consecutive failures, short-circuits, probes half-open and closes on success', async () => {
    rig = await startRigWithoutCache({ reviews: { kind: 'json', status: 500, body: {} } }, {
      BREAKER_CONSECUTIVE_FAILURES: '3', BREAKER_HALF_OPEN_AFTER_MS: '1500', RETRY_ENABLED: 'false'
    })
    for (let i = 0; i < 3; i++) expect(reviewsOf(await getBook(DUNE)).status).toBe('error')
    expect(rig.upstreams.reviews.requests).toHaveLength(3)

    const durations: number[] = []
    for (let i = 0; i < 21; i++) {
      const res = await getBook(nthIsbn(i), '?include=publisher,reviews')
      expect(reviewsOf(res).status).toBe('circuit_open')
      durations.push(reviewsOf(res).durationMs as number)
      expect(res.json().publisher.title).toBe('Dune')
    }
    // Whole milliseconds, on a noisy machine: the median short circuit rounds to 0 or 1.
    expect(durations.sort((a, b) => a - b)[10]).toBeLessThanOrEqual(1)
    expect(rig.upstreams.reviews.requests).toHaveLength(3)

    rig.upstreams.reviews.respond(ok('reviews'))
    await new Promise((resolve) => setTimeout(resolve, 1600))
    expect(reviewsOf(await getBook(DUNE)).status).toBe('ok')
    expect(reviewsOf(await getBook(DUNE)).status).toBe('ok')
    expect(rig.upstreams.reviews.requests).toHaveLength(5)
  })

  it('a failed half-open probe opens the circuit again', async () => {
    rig = await startRigWithoutCache({ reviews: { kind: 'reset' } }, {
      BREAKER_CONSECUTIVE_FAILURES: '2', BREAKER_HALF_OPEN_AFTER_MS: '500', RETRY_ENABLED: 'false'
    })
    await getBook(DUNE)
    await getBook(DUNE)
    expect(reviewsOf(await getBook(DUNE)).status).toBe('circuit_open')
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(reviewsOf(await getBook(DUNE)).status).toBe('error')
    expect(reviewsOf(await getBook(DUNE)).status).toBe('circuit_open')
    expect(rig.upstreams.reviews.requests).toHaveLength(3)
  })
})

describe('retries', () => {
  it('one retry recovers a connection reset', async () => {
    rig = await startRigWithoutCache({ reviews: ok('reviews') })
    let calls = 0
    rig.upstreams.reviews.respond(() => (++calls === 1 ? { kind: 'reset' } : ok('reviews')))
    const res = await getBook(DUNE)
    expect(reviewsOf(res)).toMatchObject({ status: 'ok', retried: true })
    expect(rig.upstreams.reviews.requests).toHaveLength(2)
  })

  it('honours a Retry-After that fits the deadline', async () => {
    rig = await startRigWithoutCache({ reviews: ok('reviews') })
    let calls = 0
    rig.upstreams.reviews.respond(() => (++calls === 1
      ? { kind: 'raw', status: 503, body: '{}', headers: { 'retry-after': '0' } }
      : ok('reviews')))
    expect(reviewsOf(await getBook(DUNE))).toMatchObject({ status: 'ok', retried: true })
  })

  it('does not retry when Retry-After does not fit the deadline', async () => {
    rig = await startRigWithoutCache({ reviews: { kind: 'raw', status: 503, body: '{}', headers: { 'retry-after': '5' } } })
    expect(reviewsOf(await getBook(DUNE))).toMatchObject({ status: 'error', httpStatus: 503 })
    expect(rig.upstreams.reviews.requests).toHaveLength(1)
  })

  it('does not retry when the failure comes too close to the deadline', async () => {
    rig = await startRigWithoutCache({ reviews: { kind: 'json', status: 502, body: {}, delayMs: 280 } }, { REVIEWS_TIMEOUT_MS: '300' })
    expect(reviewsOf(await getBook(DUNE))).toMatchObject({ status: 'error', httpStatus: 502 })
    expect(rig.upstreams.reviews.requests).toHaveLength(1)
  })

  it.each([400, 404, 429])('never retries a %i', async (status) => {
    rig = await startRigWithoutCache({ reviews: { kind: 'json', status, body: {} } })
    await getBook(DUNE)
    expect(rig.upstreams.reviews.requests).toHaveLength(1)
  })

  it('never retries a timeout', async () => {
    rig = await startRigWithoutCache({ reviews: { kind: 'hang' } }, { REVIEWS_TIMEOUT_MS: '200' })
    expect(reviewsOf(await getBook(DUNE)).status).toBe('timeout')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(rig.upstreams.reviews.requests).toHaveLength(1)
  })
})

describe('hedged requests', () => {
  it('a call slower than the rolling p95 is hedged; the duplicate wins and the slow one is aborted', async () => {
    // Generous loop limits: a loaded CI machine must not pass for a busy service here.
    rig = await startRigWithoutCache({ reviews: ok('reviews', 5) }, { HEDGE_MIN_DELAY_MS: '30', HEDGE_MAX_LOOP_LAG_MS: '1000', HEDGE_MAX_LOOP_UTILIZATION: '1' })
    // Warm the latency tracker: the p95 needs some history before hedging starts.
    for (let i = 0; i < 40; i++) await getBook(nthIsbn(i), '?include=reviews')
    const slowIsbn = nthIsbn(999)
    let slowSent = false
    rig.upstreams.reviews.respond((req) => {
      if (req.url?.endsWith(slowIsbn) && !slowSent) {
        slowSent = true
        return { kind: 'json', body: okBody('reviews', slowIsbn), delayMs: 2000 }
      }
      return ok('reviews', 5)
    })
    const res = await getBook(slowIsbn, '?include=reviews')
    expect(reviewsOf(res)).toMatchObject({ status: 'ok', hedged: true })
    expect(reviewsOf(res).durationMs as number).toBeLessThan(1000)
    const forSlow = rig.upstreams.reviews.requests.filter((r) => r.url.endsWith(slowIsbn))
    expect(forSlow).toHaveLength(2)
    await rig.upstreams.reviews.waitForAborts(1)
    expect(forSlow[0]!.abortedByClient).toBe(true)
  })

  it('HEDGE_ENABLED=false never sends a duplicate', async () => {
    rig = await startRigWithoutCache({ reviews: ok('reviews', 5) }, { HEDGE_ENABLED: 'false', REVIEWS_TIMEOUT_MS: '400' })
    for (let i = 0; i < 40; i++) await getBook(nthIsbn(i), '?include=reviews')
    rig.upstreams.reviews.respond(ok('reviews', 200))
    const res = await getBook(nthIsbn(999), '?include=reviews')
    expect(reviewsOf(res).hedged).toBeUndefined()
    expect(rig.upstreams.reviews.requests).toHaveLength(41)
  })
})
