import { describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { startFakeGoogleBooks, type FakeProvider, type GoogleBooksCallKind } from '../helpers/fake-providers.js'
import { startProviderApp, type ProviderApp } from '../helpers/provider-app.js'
import { closeAfterEach } from '../helpers/close-after-each.js'

const KEY = 'test-google-key'
const GREAT_EXPECTATIONS = '9780141439563'
const GULLIVER_ASKED = '9780143119111'

const closeLater = closeAfterEach()

async function start(options: { quota?: number } = {}, env: Record<string, string> = {}): Promise<{ fake: FakeProvider<GoogleBooksCallKind>; service: ProviderApp }> {
  const fake = await startFakeGoogleBooks({ apiKey: KEY, ...options })
  closeLater(() => fake.close())
  const service = await startProviderApp({
    PUBLISHER_PROVIDERS: 'googlebooks', REVIEWS_PROVIDERS: 'googlebooks', RECOMMENDATIONS_PROVIDERS: 'native',
    GOOGLEBOOKS_URL: `${fake.url}/books/v1`, GOOGLEBOOKS_API_KEY: KEY, ...env
  })
  closeLater(() => service.close())
  return { fake, service }
}

describe('Google Books provider against the fake', () => {
  it('serves publisher and reviews from one volumes call, with https covers and the key sent', async () => {
    const { fake, service } = await start()
    const response = await service.app.inject({ method: 'GET', url: `/books/${GREAT_EXPECTATIONS}?include=publisher,reviews` })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    const book = response.json()
    expect(book.publisher).toMatchObject({ title: 'Great Expectations', authors: ['Charles Dickens'], language: 'en' })
    expect(book.publisher.coverUrl).toMatch(/^https:\/\//)
    expect(book.reviews).toEqual({ averageRating: 5, ratingsCount: 1, items: [], textsAvailable: false })
    expect(book.sources.publisher).toMatchObject({ status: 'ok', provider: 'googlebooks' })
    expect(book.sources.reviews).toMatchObject({ status: 'ok', provider: 'googlebooks' })
    // Both sections shared one request (coalesced on the host), and it carried the key.
    expect(fake.calls.volumes).toBe(1)
    expect(fake.requests[0]?.url.searchParams.get('key')).toBe(KEY)
    expect(fake.requests[0]?.url.pathname).toBe('/books/v1/volumes')
  })

  it('drops an answer about another book: not_found, with a detail naming the ISBN it was about', async () => {
    const { service } = await start()
    const response = await service.app.inject({ method: 'GET', url: `/books/${GULLIVER_ASKED}?include=publisher` })
    expect(response.statusCode).toBe(404)
    expect(response.json().sources.publisher).toMatchObject({
      status: 'not_found',
      provider: 'googlebooks',
      detail: `Google Books answered ISBN ${GULLIVER_ASKED} with a different book (ISBN 9781101477816); dropped`
    })
    // The negative cache keeps the reason too.
    const again = await service.app.inject({ method: 'GET', url: `/books/${GULLIVER_ASKED}?include=publisher` })
    expect(again.json().sources.publisher).toMatchObject({ status: 'not_found', cache: 'hit', detail: expect.stringContaining('with a different book') })
  })

  it('a spent quota is rate_limited and pauses Google Books for every later request', async () => {
    const { fake, service } = await start({ quota: 0 })
    const first = (await service.app.inject({ method: 'GET', url: `/books/${GREAT_EXPECTATIONS}?include=publisher` })).json()
    expect(first.sources.publisher).toMatchObject({ status: 'rate_limited', httpStatus: 429, provider: 'googlebooks' })
    expect(first.sources.publisher.detail).toMatch(/googlebooks quota exhausted \(HTTP 429\); pausing it for 60 s/)
    const seen = fake.requests.length
    const second = (await service.app.inject({ method: 'GET', url: '/books/9780099466734?include=reviews' })).json()
    expect(second.sources.reviews.status).toBe('rate_limited')
    expect(second.sources.reviews.detail).toMatch(/asked us to wait \(429, Retry-After\)/)
    expect(fake.requests.length).toBe(seen)
    // The key never shows in what clients see.
    expect(JSON.stringify([first, second])).not.toContain(KEY)
  })

  it('a key Google refuses is an error (not a quota), and the key is in no detail or log line', async () => {
    const { service } = await start({}, { GOOGLEBOOKS_API_KEY: 'wrong-key', LOG_LEVEL: 'trace' })
    const response = await service.app.inject({ method: 'GET', url: `/books/${GREAT_EXPECTATIONS}?include=publisher` })
    expect(response.json().sources.publisher).toMatchObject({ status: 'error', httpStatus: 400, detail: 'googlebooks answered HTTP 400' })
    expect(response.body + service.logs.join('')).not.toContain('wrong-key')
  })
})
