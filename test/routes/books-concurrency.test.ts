import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { DUNE, ok, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('GET /books/{isbn} over real sockets', () => {
  it('calls the three upstreams concurrently: the total is about the slowest, not the sum', async () => {
    rig = await startRig({ publisher: ok('publisher', 100), reviews: ok('reviews', 200), recommendations: ok('recommendations', 300) })
    const started = performance.now()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    const elapsed = performance.now() - started
    expect(res.statusCode).toBe(200)
    expect(res.json().complete).toBe(true)
    // The proof of overlap: every upstream had its request before the fastest one (100 ms)
    // answered; one after another, the last would arrive 300 ms after the first.
    const arrivals = Object.values(rig.upstreams).map((u) => u.requests[0]!.receivedAt)
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(100)
    // About the slowest (300 ms), with room for a noisy machine, not the 600 ms sum plus it.
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(900)
  })

  it('a hanging upstream costs its section at its own timeout, and the upstream sees the abort', async () => {
    rig = await startRig({ reviews: { kind: 'hang' } }, { REVIEWS_TIMEOUT_MS: '600' })
    const started = performance.now()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    const elapsed = performance.now() - started
    expectMatchesContract('/books/{isbn}', 'GET', res)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.complete).toBe(false)
    expect(body.sources.reviews).toMatchObject({ status: 'timeout', detail: 'reviews did not answer within 600 ms' })
    expect(body.sources.reviews.durationMs).toBeGreaterThanOrEqual(590)
    expect(elapsed).toBeGreaterThanOrEqual(590)
    expect(elapsed).toBeLessThan(1200)
    expect(body.sources.publisher.status).toBe('ok')
    await rig.upstreams.reviews.waitForAborts(1)
  })

  it('REQUEST_DEADLINE_MS caps every upstream timeout', async () => {
    rig = await startRig({ publisher: { kind: 'hang' } }, { UPSTREAM_TIMEOUT_MS: '5000', REQUEST_DEADLINE_MS: '300' })
    const started = performance.now()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    expect(performance.now() - started).toBeLessThan(1000)
    expect(res.json().sources.publisher.status).toBe('timeout')
  })

  it('a client that leaves makes every in-flight upstream call abort at once', async () => {
    rig = await startRig({ publisher: { kind: 'hang' }, reviews: { kind: 'hang' }, recommendations: { kind: 'hang' } },
      { UPSTREAM_TIMEOUT_MS: '10000' })
    const address = await rig.app.listen({ host: '127.0.0.1', port: 0 })
    const controller = new AbortController()
    const pending = request(`${address}/books/${DUNE}`, { signal: controller.signal })
    pending.catch(() => undefined)
    await waitUntil(() => rig!.upstreamRequestCount() === 3)
    setTimeout(() => controller.abort(), 300)
    const left = performance.now()
    await Promise.all(Object.values(rig.upstreams).map((u) => u.waitForAborts(1, 3000)))
    // Far sooner than the 10 s upstream timeout: the disconnect itself cancelled them.
    expect(performance.now() - left).toBeLessThan(2000)
    await expect(pending).rejects.toThrow()
  })
})

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
