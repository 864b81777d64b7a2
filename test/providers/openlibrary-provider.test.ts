import { describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { startFakeOpenLibrary, type FakeProvider, type OpenLibraryCallKind } from '../helpers/fake-providers.js'
import { fixture } from '../helpers/provider-samples.js'
import { FANTASTIC_MR_FOX, FOX_EXTRAS, startProviderApp, type ProviderApp } from '../helpers/provider-app.js'
import { closeAfterEach } from '../helpers/close-after-each.js'

const closeLater = closeAfterEach()

// These tests follow the per-book chain (`/isbn/` 302 → edition → work): batching is off here;
// openlibrary-batching.test.ts covers the batched edition lookup through `/api/books`.
async function start(env: Record<string, string> = {}): Promise<{ fake: FakeProvider<OpenLibraryCallKind>; service: ProviderApp }> {
  const fake = await startFakeOpenLibrary({ data: FOX_EXTRAS })
  closeLater(() => fake.close())
  const service = await startProviderApp({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_URL: fake.url, OPENLIBRARY_BATCH_MAX: '0', ...env })
  closeLater(() => service.close())
  return { fake, service }
}

describe('BOOK_PROVIDERS=openlibrary against the fake Open Library', () => {
  it('answers Fantastic Mr. Fox with one edition lookup and one work lookup for all three sections', async () => {
    const { fake, service } = await start()
    const response = await service.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}` })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    const book = response.json()
    expect(book.publisher).toMatchObject({
      title: 'Fantastic Mr. Fox',
      authors: ['Roald Dahl'],
      publisher: 'Puffin',
      publishedDate: 'October 1, 1988',
      publishedDateIso: '1988-10-01',
      pageCount: 96,
      language: 'en',
      coverUrl: 'https://covers.openlibrary.org/b/id/8739161-L.jpg'
    })
    expect(book.publisher.description).toMatch(/^The main character of Fantastic Mr. Fox/)
    expect(book.reviews).toEqual({ averageRating: 4.1, ratingsCount: 212, items: [], textsAvailable: false })
    expect(book.recommendations.items).toEqual([
      { key: '/works/OL90001W', url: 'https://openlibrary.org/works/OL90001W', title: "Charlotte's Web", authors: ['E. B. White'] },
      { key: '/works/OL90002W', url: 'https://openlibrary.org/works/OL90002W', title: 'The Wind in the Willows', authors: ['Kenneth Grahame'] }
    ])
    for (const section of ['publisher', 'reviews', 'recommendations']) {
      expect(book.sources[section]).toMatchObject({ status: 'ok', provider: 'openlibrary' })
    }
    expect(book.complete).toBe(true)
    // The 302 of /isbn/{isbn}.json, the edition it points to, and the work: once each.
    expect(fake.calls.isbn).toBe(1)
    expect(fake.calls.edition).toBe(1)
    expect(fake.calls.work).toBe(1)
    expect(fake.calls).toMatchObject({ author: 1, ratings: 1, subject: 1, forbidden: 0 })
    // Every request named a contact in its User-Agent.
    expect(fake.requests.every((r) => String(r.headers['user-agent']).includes('tests@example.org'))).toBe(true)
  })

  it('serves later sections from the resolved work: a second book request costs no lookup', async () => {
    const { fake, service } = await start({ CACHE_ENABLED: 'false' })
    await service.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}?include=publisher` })
    await service.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}?include=reviews,recommendations` })
    expect(fake.calls).toMatchObject({ isbn: 1, edition: 1, work: 1 })
  })

  it('says not_found for a book Open Library does not know, after trying both ISBN forms', async () => {
    const { fake, service } = await start()
    const response = await service.app.inject({ method: 'GET', url: '/books/9780441013593' })
    expect(response.statusCode).toBe(404)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    expect(response.json().sources.publisher).toMatchObject({
      status: 'not_found', provider: 'openlibrary', detail: 'Open Library has no edition for ISBN 9780441013593'
    })
    expect(fake.calls.isbn).toBe(2)
  })

  it('searches through Open Library, keeping the hits that carry an ISBN', async () => {
    const { service } = await start()
    const response = await service.app.inject({ method: 'GET', url: '/search?q=9788466358804' })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/search', 'GET', response)
  })

  it('reports the provider host per section in /readyz and serves batches and event streams the same way', async () => {
    const { service } = await start()
    const ready = await service.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.json()).toEqual({ status: 'ready', upstreams: { publisher: { circuit: 'closed' }, reviews: { circuit: 'closed' }, recommendations: { circuit: 'closed' } }, redis: 'disabled' })
    const batch = await service.app.inject({ method: 'POST', url: '/books/batch', payload: { isbns: [FANTASTIC_MR_FOX, '0140328726'] } })
    expect(batch.statusCode).toBe(200)
    expectMatchesContract('/books/batch', 'POST', batch)
    const events = await service.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}/events` })
    expect(events.body).toContain('"provider":"openlibrary"')
  })

  it('normalizes what editors really store: an object description, a -1 cover, a MARC language, a title prefix, an author it cannot name', async () => {
    const fake = await startFakeOpenLibrary({
      data: {
        editions: { OL90000001M: fixture('openlibrary/edition-edge-cases.json') },
        works: { OL90000001W: fixture('openlibrary/work-object-description.json') },
        ratings: { OL90000001W: fixture('openlibrary/ratings-none.json') }
      }
    })
    closeLater(() => fake.close())
    const service = await startProviderApp({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_URL: fake.url, OPENLIBRARY_MAX_RPS: '20', OPENLIBRARY_BATCH_MAX: '0' })
    closeLater(() => service.close())
    const response = await service.app.inject({ method: 'GET', url: '/books/2070464237' })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    const book = response.json()
    expect(book.publisher).toEqual({
      title: 'La Horde du Contrevent',
      // The author record is not in the fake (404): the byline is left empty rather than failing the section.
      authors: [],
      publisher: 'Gallimard',
      publishedDate: 'Oct 2015',
      publishedDateIso: '2015-10',
      language: 'fr',
      description: "Un roman d'aventure.\nSecond paragraphe.",
      coverUrl: 'https://covers.openlibrary.org/b/id/7891413-L.jpg'
    })
    // Nobody rated the work; the subjects ("Science fiction", "Wind") have no works in the fake.
    expect(book.sources.reviews).toMatchObject({ status: 'not_found', provider: 'openlibrary', detail: 'Open Library has no ratings for this work yet' })
    expect(book.sources.recommendations).toMatchObject({ status: 'not_found', provider: 'openlibrary' })
    expect(fake.calls.subject).toBe(2)
  })
})
