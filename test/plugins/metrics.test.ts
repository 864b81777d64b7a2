import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

/** Prometheus text → `name{labels}` → value; parsing it is part of the assertion (prom-client writes NaN as "Nan", which Prometheus accepts). */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN|Nan|\+Inf|-Inf)$/.exec(line)
    if (match === null) throw new Error(`not Prometheus text: ${line}`)
    samples.set(match[1] as string, Number(match[2]))
  }
  return samples
}

async function scrape(headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await rig!.app.inject({ method: 'GET', url: '/metrics', headers })
  expectMatchesContract('/metrics', 'GET', res)
  expect(res.statusCode).toBe(200)
  expect(res.headers['content-type']).toMatch(/^text\/plain/)
  return parsePrometheus(res.body)
}

describe('GET /metrics', () => {
  it('counts requests, upstream calls and cache results with known outcomes', async () => {
    rig = await startRig({ reviews: { kind: 'json', status: 500, body: {} } })
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    await rig.app.inject({ method: 'GET', url: '/books/bad' })
    const m = await scrape()

    expect(m.get('book_aggregator_http_request_duration_seconds_count{route="/books/:isbn",method="GET",status_code="200"}')).toBe(2)
    expect(m.get('book_aggregator_http_request_duration_seconds_count{route="/books/:isbn",method="GET",status_code="400"}')).toBe(1)
    // publisher and recommendations: one miss, then a hit; reviews failed (500): never cached.
    expect(m.get('book_aggregator_cache_requests_total{source="publisher",result="miss"}')).toBe(1)
    expect(m.get('book_aggregator_cache_requests_total{source="publisher",result="hit"}')).toBe(1)
    expect(m.get('book_aggregator_cache_requests_total{source="reviews",result="miss"}')).toBe(2)
    expect(m.get('book_aggregator_upstream_request_duration_seconds_count{source="publisher",outcome="ok"}')).toBe(1)
    expect(m.get('book_aggregator_upstream_request_duration_seconds_count{source="reviews",outcome="error"}')).toBe(2)
    expect(m.get('book_aggregator_upstream_circuit_state{source="reviews"}')).toBe(0)
    expect(m.get('book_aggregator_upstream_in_flight{source="publisher"}')).toBe(0)
    expect(m.get('book_aggregator_upstream_hedges_sent_total{source="reviews"}')).toBe(0)
    expect(m.has('process_cpu_user_seconds_total')).toBe(true)
    // Bounded labels: no ISBN anywhere.
    expect([...m.keys()].some((key) => key.includes(DUNE))).toBe(false)
  })

  it('keeps cache counts running totals from one scrape to the next', async () => {
    rig = await startRig()
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    const first = await scrape()
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    const second = await scrape()
    const third = await scrape()

    const hits = 'book_aggregator_cache_requests_total{source="reviews",result="hit"}'
    const misses = 'book_aggregator_cache_requests_total{source="reviews",result="miss"}'
    expect([first.get(misses), first.get(hits)]).toEqual([1, 0])
    expect([second.get(misses), second.get(hits)]).toEqual([1, 2])
    expect([third.get(misses), third.get(hits)]).toEqual([1, 2])
  })

  it('counts retries, coalesced calls and rate-limited requests', async () => {
    rig = await startRig({ publisher: { kind: 'json', status: 503, body: {}, delayMs: 50 } }, { RATE_LIMIT_MAX: '3', CACHE_ENABLED: 'false' })
    await Promise.all([1, 2].map(() => rig!.app.inject({ method: 'GET', url: `/books/${DUNE}` })))
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    expect((await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })).statusCode).toBe(429)
    const m = await scrape()
    expect(m.get('book_aggregator_upstream_retries_total{source="publisher"}')).toBe(2)
    expect(m.get('book_aggregator_upstream_coalesced_total{source="reviews"}')).toBe(1)
    expect(m.get('book_aggregator_http_rejected_total{reason="rate_limited"}')).toBe(1)
  })

  it('requires the bearer token when METRICS_TOKEN is set', async () => {
    rig = await startRig({}, { METRICS_TOKEN: 's3cret' })
    const denied = await rig.app.inject({ method: 'GET', url: '/metrics' })
    expectMatchesContract('/metrics', 'GET', denied)
    expect(denied.statusCode).toBe(401)
    expect(denied.headers['www-authenticate']).toBe('Bearer')
    expect((await rig.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong!' } })).statusCode).toBe(401)
    await scrape({ authorization: 'Bearer s3cret' })
  })
})

describe('Server-Timing', () => {
  it('lists each called source with its duration and status, plus the total', async () => {
    rig = await startRig({ reviews: { kind: 'hang' } }, { REVIEWS_TIMEOUT_MS: '200' })
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    const timing = String(res.headers['server-timing'])
    expect(timing).toMatch(/publisher;dur=\d+;desc="ok \(cache miss\)"/)
    expect(timing).toMatch(/reviews;dur=2\d\d;desc="timeout"/)
    expect(timing).toMatch(/recommendations;dur=\d+;desc="ok/)
    expect(timing).toMatch(/total;dur=\d+$/)
    const skipped = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}?include=publisher` })
    expect(String(skipped.headers['server-timing'])).not.toContain('reviews')
  })
})
