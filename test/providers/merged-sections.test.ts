import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { startFakeProviders, type FakeProviders } from '../helpers/fake-providers.js'
import { FANTASTIC_MR_FOX, FOX_EXTRAS, startProviderApp, type BookBody, type ProviderApp } from '../helpers/provider-app.js'

const KEY = 'merge-test-key'
const TOKEN = 'merge-test-token'

// Google's record of the Fox as Google writes such records: no description, no language, an http thumbnail.
const GOOGLE_FOX = {
  kind: 'books#volumes',
  totalItems: 1,
  items: [{
    id: 'fox0000000',
    volumeInfo: {
      title: 'Fantastic Mr Fox',
      authors: ['Roald Dahl'],
      publisher: 'Puffin Books',
      publishedDate: '1988-10-01',
      industryIdentifiers: [{ type: 'ISBN_10', identifier: '0140328726' }, { type: 'ISBN_13', identifier: FANTASTIC_MR_FOX }],
      pageCount: 96,
      imageLinks: { thumbnail: 'http://books.google.com/books/content?id=fox0000000&printsec=frontcover&img=1&zoom=1' },
      averageRating: 4,
      ratingsCount: 57
    }
  }]
}

let fakes: FakeProviders | undefined
let service: ProviderApp | undefined

afterEach(async () => {
  await service?.close()
  await fakes?.close()
  service = undefined
  fakes = undefined
})

async function start(env: Record<string, string>, googleLatencyMs?: number, hardcoverLatencyMs?: number): Promise<ProviderApp> {
  fakes = await startFakeProviders({
    openLibrary: { data: FOX_EXTRAS },
    googleBooks: { apiKey: KEY, volumes: { [FANTASTIC_MR_FOX]: GOOGLE_FOX }, ...(googleLatencyMs === undefined ? {} : { latencyMs: googleLatencyMs }) },
    hardcover: { token: TOKEN, ...(hardcoverLatencyMs === undefined ? {} : { latencyMs: hardcoverLatencyMs }) }
  })
  service = await startProviderApp({
    OPENLIBRARY_URL: fakes.openLibrary.url, GOOGLEBOOKS_URL: fakes.googleBooks.url, GOOGLEBOOKS_API_KEY: KEY,
    HARDCOVER_URL: `${fakes.hardcover.url}/v1/graphql`, HARDCOVER_TOKEN: TOKEN, OPENLIBRARY_MAX_RPS: '20',
    RECOMMENDATIONS_PROVIDERS: 'openlibrary',
    ...env
  })
  return service
}

async function book(app: ProviderApp, query = ''): Promise<BookBody> {
  const response = await app.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}${query}` })
  expectMatchesContract('/books/{isbn}', 'GET', response)
  return response.json<BookBody>()
}

describe('sections served by several providers', () => {
  it('answers with the first provider in list order and fills what it lacks from the others (filledFrom)', async () => {
    const app = await start({ PUBLISHER_PROVIDERS: 'googlebooks,openlibrary', REVIEWS_PROVIDERS: 'openlibrary' })
    const body = await book(app, '?include=publisher')
    expect(body.publisher).toMatchObject({
      title: 'Fantastic Mr Fox', // Google's: identity stays with the answering provider
      publisher: 'Puffin Books',
      publishedDate: '1988-10-01',
      coverUrl: 'https://books.google.com/books/content?id=fox0000000&printsec=frontcover&img=1&zoom=1',
      language: 'en',
      pageCount: 96
    })
    expect(body.publisher.description).toMatch(/^The main character of Fantastic Mr. Fox/)
    expect(body.sources.publisher).toMatchObject({ status: 'ok', provider: 'googlebooks', filledFrom: { language: 'openlibrary', description: 'openlibrary' } })
  })

  it('the first in list order wins even when it answers last; nothing to fill → no filledFrom', async () => {
    const app = await start({ PUBLISHER_PROVIDERS: 'googlebooks,openlibrary' }, 150)
    const body = await book(app, '?include=publisher')
    expect(body.sources.publisher?.provider).toBe('googlebooks')
    expect(body.sources.publisher?.durationMs).toBeGreaterThanOrEqual(140)
  })

  it('falls back to the next provider when the first has nothing (Hardcover does not know the Fox)', async () => {
    const app = await start({ PUBLISHER_PROVIDERS: 'openlibrary', REVIEWS_PROVIDERS: 'hardcover,openlibrary' })
    const body = await book(app, '?include=reviews')
    expect(body.reviews).toEqual({ averageRating: 4.1, ratingsCount: 212, items: [], textsAvailable: false })
    expect(body.sources.reviews).toMatchObject({ status: 'ok', provider: 'openlibrary' })
    expect(body.sources.reviews?.filledFrom).toBeUndefined()
  })

  it('a provider slower than the section timeout costs only its own part', async () => {
    const app = await start({ PUBLISHER_PROVIDERS: 'googlebooks,openlibrary', PUBLISHER_TIMEOUT_MS: '600' }, 2000)
    const body = await book(app, '?include=publisher')
    expect(body.sources.publisher).toMatchObject({ status: 'ok', provider: 'openlibrary' })
    // Settled just before the section's own timeout (with what had arrived), not by it.
    expect(body.sources.publisher?.durationMs).toBeLessThan(600 + 150)
    expect(body.publisher.title).toBe('Fantastic Mr. Fox')
  })

  it('with nobody ok, the section reports the best status and every provider’s reason', async () => {
    const app = await start({ PUBLISHER_PROVIDERS: 'hardcover,googlebooks', HARDCOVER_TOKEN: 'not-the-token' })
    const response = await app.app.inject({ method: 'GET', url: '/books/9780143119111?include=publisher' })
    expect(response.statusCode).toBe(404)
    const { publisher } = response.json<BookBody>().sources
    expect(publisher).toMatchObject({ status: 'not_found', provider: 'googlebooks' })
    expect(publisher?.detail).toBe('hardcover: hardcover refused the token (HTTP 401): check HARDCOVER_TOKEN; ' +
      'googlebooks: Google Books answered ISBN 9780143119111 with a different book (ISBN 9781101477816); dropped')
  })

  it('caches each provider’s part under its own key: a second request asks nobody', async () => {
    const app = await start({ PUBLISHER_PROVIDERS: 'googlebooks,openlibrary', REVIEWS_PROVIDERS: 'openlibrary,googlebooks' })
    await book(app)
    const seen = (fakes as FakeProviders).openLibrary.requests.length + (fakes as FakeProviders).googleBooks.requests.length
    const again = await book(app)
    expect(again.sources.publisher).toMatchObject({ status: 'ok', cache: 'hit', provider: 'googlebooks', filledFrom: { description: 'openlibrary' } })
    expect(again.sources.reviews).toMatchObject({ status: 'ok', cache: 'hit', provider: 'openlibrary' })
    expect((fakes as FakeProviders).openLibrary.requests.length + (fakes as FakeProviders).googleBooks.requests.length).toBe(seen)
  })

  it('settles as soon as the answer cannot change: the first provider is ok and lacks nothing', async () => {
    const app = await start({ RECOMMENDATIONS_PROVIDERS: 'openlibrary,hardcover', UPSTREAM_TIMEOUT_MS: '3000' }, undefined, 2000)
    const started = performance.now()
    const body = await book(app, '?include=recommendations')
    expect(body.sources.recommendations).toMatchObject({ status: 'ok', provider: 'openlibrary' })
    expect(performance.now() - started).toBeLessThan(1500)
  })

  it('a provider stopped because it was not needed is no failure of its own: its circuit stays closed', async () => {
    const app = await start({ RECOMMENDATIONS_PROVIDERS: 'openlibrary,hardcover', CACHE_ENABLED: 'false', BREAKER_CONSECUTIVE_FAILURES: '2' }, undefined, 2000)
    for (let i = 0; i < 4; i++) expect((await book(app, '?include=recommendations')).sources.recommendations?.provider).toBe('openlibrary')
    const ready = await app.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.json().upstreams.recommendations).toEqual({ circuit: 'closed' })
  })
})
