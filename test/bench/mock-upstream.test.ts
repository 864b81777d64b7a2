import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXED_ISBN, randomIsbn13 } from '../../bench/isbn.js'
import { sameLatency } from '../../bench/latency.js'
import { startMock, type MockUpstream } from '../../bench/mock-control.js'
import { stopAll } from '../../bench/processes.js'

// The mock's batch endpoint, against one real mock process (as the harness starts it).

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await request(url)
  return { status: res.statusCode, body: await res.body.json() }
}

describe('mock upstream batch endpoint', () => {
  let mock: MockUpstream

  beforeAll(async () => {
    mock = await startMock(sameLatency(5))
  })

  afterAll(async () => {
    await mock.stop()
    await stopAll()
  })

  it('answers every valid ISBN-13 keyed by itself, as the single endpoint does, in one counted call', async () => {
    await mock.reset()
    const other = randomIsbn13()
    // A wrong check digit, a short one and a repeat: only the two real books come back, once each.
    const wrongCheckDigit = `${FIXED_ISBN.slice(0, 12)}${(Number(FIXED_ISBN[12]) + 1) % 10}`
    const query = [FIXED_ISBN, other, wrongCheckDigit, '978044101359', FIXED_ISBN].map((i) => `isbn=${i}`).join('&')

    const batch = await getJson(`${mock.urls.reviews}/books?${query}`)
    const single = await getJson(`${mock.urls.reviews}/books/${FIXED_ISBN}`)

    expect(batch.status).toBe(200)
    const items = (batch.body as { items: Record<string, unknown> }).items
    expect(Object.keys(items).sort()).toEqual([FIXED_ISBN, other].sort())
    expect(items[FIXED_ISBN]).toEqual(single.body)
    expect((items[other] as { isbn: string }).isbn).toBe(other)

    const stats = await mock.stats()
    expect(stats.calls).toEqual({ publisher: 0, reviews: 2, recommendations: 0 })
    expect(stats.booksServed).toEqual({ publisher: 0, reviews: 3, recommendations: 0 })
  })

  it('answers a batch of unknown ISBNs with no items, and one without any isbn parameter with 400', async () => {
    const url = mock.urls.publisher
    expect(await getJson(`${url}/books?isbn=9780441013590`)).toEqual({ status: 200, body: { items: {} } })
    expect((await getJson(`${url}/books?title=dune`)).status).toBe(400)
  })
})
