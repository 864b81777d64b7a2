import { describe, expect, it } from 'vitest'
import { isbn13CheckDigit } from '../../src/domain/isbn-check-digit.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { startFakeOpenLibrary, type FakeProvider, type OpenLibraryCallKind } from '../helpers/fake-providers.js'
import { recorded } from '../helpers/provider-samples.js'
import { FANTASTIC_MR_FOX, FOX_EXTRAS, startProviderApp, type BookBody, type ProviderApp } from '../helpers/provider-app.js'
import { closeAfterEach } from '../helpers/close-after-each.js'

// Open Library with batching on (its default, OPENLIBRARY_BATCH_MAX=25): the edition lookups of
// concurrent books go out as one `/api/books?jscmd=details` call. The per-book chain is in
// openlibrary-provider.test.ts and openlibrary-limits.test.ts.

const closeLater = closeAfterEach()

async function start(options: Parameters<typeof startFakeOpenLibrary>[0] = {}, env: Record<string, string> = {}) {
  const fake: FakeProvider<OpenLibraryCallKind> = await startFakeOpenLibrary({ data: FOX_EXTRAS, ...options })
  closeLater(() => fake.close())
  const service: ProviderApp = await startProviderApp({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_URL: fake.url, OPENLIBRARY_MAX_RPS: '50', CACHE_ENABLED: 'false', ...env })
  closeLater(() => service.close())
  const get = async (isbn: string) => {
    const response = await service.app.inject({ method: 'GET', url: `/books/${isbn}` })
    return { response, body: response.json<BookBody>() }
  }
  return { fake, get }
}

/** `count` valid ISBN-13s unknown to the fake. */
function unknownIsbns(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const twelve = `978000${String(200_000 + i)}`
    return twelve + isbn13CheckDigit(twelve)
  })
}

const SECTIONS = ['publisher', 'reviews', 'recommendations'] as const

describe('Open Library with batched edition lookups', () => {
  it('answers Fantastic Mr. Fox with one /api/books call for the edition and its author: no 302, no edition or author request', async () => {
    const { fake, get } = await start()
    const { response, body } = await get(FANTASTIC_MR_FOX)
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    expect(body.publisher).toMatchObject({ title: 'Fantastic Mr. Fox', authors: ['Roald Dahl'], publisher: 'Puffin', language: 'en', pageCount: 96 })
    for (const section of SECTIONS) expect(body.sources[section]).toMatchObject({ status: 'ok', provider: 'openlibrary' })
    expect(fake.calls).toMatchObject({ apiBooks: 1, isbn: 0, edition: 0, author: 0, work: 1, ratings: 1, subject: 1 })
    // Alone in its call: nothing to report as batched.
    expect(body.sources.publisher?.batched).toBeUndefined()
  })

  it('looks 25 concurrent cold books up in at most 2 /api/books calls, each book getting its own answer', async () => {
    const { fake, get } = await start()
    const isbns = [FANTASTIC_MR_FOX, ...unknownIsbns(24)]
    const answers = await Promise.all(isbns.map(get))
    // One call for the 25 ISBN-13s; the 24 misses asked again by their ISBN-10 in a second.
    expect(fake.calls.apiBooks).toBeLessThanOrEqual(2)
    expect(fake.calls.isbn + fake.calls.edition + fake.calls.author).toBe(0)
    const [fox, ...others] = answers
    expect(fox?.response.statusCode).toBe(200)
    expect(fox?.body.sources.publisher).toMatchObject({ status: 'ok', batched: 25 })
    for (const other of others) {
      expect(other.response.statusCode).toBe(404)
      expectMatchesContract('/books/{isbn}', 'GET', other.response)
      for (const section of SECTIONS) expect(other.body.sources[section]?.status).toBe('not_found')
    }
    const bibkeysPerCall = fake.requests.filter((r) => r.url.pathname === '/api/books').map((r) => (r.url.searchParams.get('bibkeys') ?? '').split(',').length)
    expect(Math.max(...bibkeysPerCall)).toBeLessThanOrEqual(25)
  })

  it('marks a later lookup served from the resolved edition as batched no more: it rode on no call', async () => {
    const { fake, get } = await start()
    const [first] = await Promise.all([get(FANTASTIC_MR_FOX), get(unknownIsbns(1)[0] as string)])
    expect(first.body.sources.publisher).toMatchObject({ status: 'ok', batched: 2 })
    const again = await get(FANTASTIC_MR_FOX)
    expect(again.body.sources.publisher?.status).toBe('ok')
    expect(again.body.sources.publisher?.batched).toBeUndefined()
    expect(fake.calls.apiBooks).toBe(2) // the ISBN-13s, then the unknown one's ISBN-10
  })

  it('finds a book listed under its ISBN-10 only by asking again with that form', async () => {
    const fox = recorded('openlibrary/edition-OL7353617M.json') as Record<string, unknown>
    const { fake, get } = await start({ data: { ...FOX_EXTRAS, editions: { OL7353617M: { ...fox, isbn_13: undefined } } } })
    const { response, body } = await get(FANTASTIC_MR_FOX)
    expect(response.statusCode).toBe(200)
    expect(body.publisher).toMatchObject({ title: 'Fantastic Mr. Fox', authors: ['Roald Dahl'] })
    const asked = fake.requests.filter((r) => r.url.pathname === '/api/books').map((r) => r.url.searchParams.get('bibkeys'))
    expect(asked).toEqual(['ISBN:9780140328721', 'ISBN:0140328726'])
  })

  it('answers 30 concurrent cold books at 3 requests per second without a rate_limited section, inside the deadline', async () => {
    const { fake, get } = await start({ rateLimit: { limit: 3, windowMs: 1000 } }, { OPENLIBRARY_MAX_RPS: '3' })
    const started = performance.now()
    const isbns = [FANTASTIC_MR_FOX, ...unknownIsbns(29)]
    const answers = await Promise.all(isbns.map(async (isbn) => ({ ...(await get(isbn)), ms: performance.now() - started })))
    for (const answer of answers) {
      expect(answer.ms).toBeLessThan(5000 + 250)
      for (const section of SECTIONS) expect(['ok', 'not_found']).toContain(answer.body.sources[section]?.status)
    }
    expect(answers[0]?.body.sources).toMatchObject({ publisher: { status: 'ok' }, reviews: { status: 'ok' }, recommendations: { status: 'ok' } })
    // 2 calls for the ISBN-13s (25 + 5), 2 for the misses' ISBN-10s, and the Fox's work, ratings and subject.
    expect(fake.requests.length).toBeLessThanOrEqual(7)
    expect(fake.calls.apiBooks).toBeLessThanOrEqual(4)
  }, 15_000)
})
