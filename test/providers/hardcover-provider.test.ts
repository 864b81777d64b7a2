import { describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { recordedHardcoverData, startFakeHardcover, type FakeProvider, type HardcoverCallKind } from '../helpers/fake-providers.js'
import { startProviderApp, type ProviderApp } from '../helpers/provider-app.js'
import { closeAfterEach } from '../helpers/close-after-each.js'

const TOKEN = 'hc-test-token-4f9a2c'
const OATHBRINGER = '9780765365293'

// Other books by Brandon Sanderson as Hardcover's search would list them (and the book itself, to be left out).
const SANDERSON_SEARCH = {
  found: 3,
  page: 1,
  hits: [
    { document: { id: '90000002', slug: 'oathbringer', title: 'Oathbringer', author_names: ['Brandon Sanderson'], isbns: [OATHBRINGER] } },
    { document: { id: '90000010', slug: 'the-way-of-kings', title: 'The Way of Kings', author_names: ['Brandon Sanderson'], isbns: ['0765326353'] } },
    { document: { id: '90000011', slug: 'a-parody', title: 'The Way of Parodies', author_names: ['Someone Else'], isbns: [] } }
  ]
}

const closeLater = closeAfterEach()

async function start(env: Record<string, string> = {}): Promise<{ fake: FakeProvider<HardcoverCallKind>; service: ProviderApp }> {
  const fake = await startFakeHardcover({ token: TOKEN, data: { searches: { ...recordedHardcoverData().searches, 'brandon sanderson': SANDERSON_SEARCH } } })
  closeLater(() => fake.close())
  const service = await startProviderApp({ BOOK_PROVIDERS: 'hardcover', HARDCOVER_URL: `${fake.url}/v1/graphql`, HARDCOVER_TOKEN: TOKEN, HARDCOVER_MAX_RPS: '10', ...env })
  closeLater(() => service.close())
  return { fake, service }
}

describe('Hardcover provider against the fake', () => {
  it('serves all three sections: the edition, ratings with review texts, and more books by the author', async () => {
    const { fake, service } = await start()
    const response = await service.app.inject({ method: 'GET', url: `/books/${OATHBRINGER}` })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    const book = response.json()
    expect(book.publisher).toMatchObject({
      title: 'Oathbringer', authors: ['Brandon Sanderson'], publisher: 'Tor Fantasy', publishedDate: '2019-09-01', pageCount: 1298, language: 'en'
    })
    expect(book.reviews).toMatchObject({ averageRating: 4.6, ratingsCount: 1500 })
    expect(book.reviews.items.length).toBeGreaterThan(0)
    expect(book.reviews.items[0]).toEqual(expect.objectContaining({ author: expect.any(String), text: expect.any(String), date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }))
    expect(book.recommendations.items).toEqual([{
      isbn: '9780765326355', key: 'hardcover:book:90000010', url: 'https://hardcover.app/books/the-way-of-kings', title: 'The Way of Kings', authors: ['Brandon Sanderson']
    }])
    for (const section of ['publisher', 'reviews', 'recommendations']) expect(book.sources[section]).toMatchObject({ status: 'ok', provider: 'hardcover' })
    // The editions query is shared by the three sections.
    expect(fake.calls).toMatchObject({ editions: 1, user_books: 1, search: 1, unauthorized: 0 })
    expect(fake.requests.every((r) => r.method === 'POST' && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true)
  })

  it('never logs or echoes the token, even at trace level, and names the problem when it is refused', async () => {
    const { service } = await start({ HARDCOVER_TOKEN: 'hc-wrong-secret-77', LOG_LEVEL: 'trace' })
    const response = await service.app.inject({ method: 'GET', url: `/books/${OATHBRINGER}` })
    expect(response.statusCode).toBe(502)
    expect(response.json().sources.publisher).toMatchObject({
      status: 'error', httpStatus: 401, provider: 'hardcover', detail: 'hardcover refused the token (HTTP 401): check HARDCOVER_TOKEN'
    })
    const everything = response.body + JSON.stringify(response.headers) + service.logs.join('')
    expect(service.logs.length).toBeGreaterThan(0)
    expect(everything).not.toContain('hc-wrong-secret-77')
    expect(everything).not.toContain(TOKEN)
  })

  it('searches through Hardcover', async () => {
    const { service } = await start()
    const response = await service.app.inject({ method: 'GET', url: '/search?q=lord%20of%20the%20rings' })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/search', 'GET', response)
    expect(response.json().results[0]).toMatchObject({ isbn: '9780813138015', title: 'Lord of the Rings', authors: ['Jane Chance'] })
  })

  it('mixes with native sections: a section nobody lists is served by the native upstreams (here the demo ones)', async () => {
    const fake = await startFakeHardcover({ token: TOKEN })
    closeLater(() => fake.close())
    const service = await startProviderApp({ REVIEWS_PROVIDERS: 'hardcover', HARDCOVER_URL: `${fake.url}/v1/graphql`, HARDCOVER_TOKEN: TOKEN })
    closeLater(() => service.close())
    const response = await service.app.inject({ method: 'GET', url: '/books/9780441013593' })
    expect(response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', response)
    const book = response.json()
    expect(book.publisher.title).toBe('Dune')
    expect(book.sources.publisher).toMatchObject({ status: 'ok', provider: 'native' })
    expect(book.sources.recommendations).toMatchObject({ status: 'ok', provider: 'native' })
    expect(book.sources.reviews).toMatchObject({ status: 'not_found', provider: 'hardcover', detail: 'Hardcover has no edition with ISBN 9780441013593' })
  })
})
