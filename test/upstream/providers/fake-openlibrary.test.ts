import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { mapOpenLibraryPublisher, mapOpenLibraryRatings, openLibraryAuthorKeys, openLibraryAuthorName, openLibraryWorkKey } from '../../../src/upstream/providers/openlibrary-mapping.js'
import { mapOpenLibraryBooksApiEntry, mapOpenLibrarySubjectRecommendations } from '../../../src/upstream/providers/openlibrary-lists.js'
import {
  openLibraryAuthorPath, openLibraryBooksApiPath, openLibraryEditionPaths, openLibraryRatingsPath, openLibrarySubjectPath, openLibraryWorkPath
} from '../../../src/upstream/providers/openlibrary-requests.js'
import { CONTACT_USER_AGENT, startFakeOpenLibrary, type FakeOpenLibraryOptions, type FakeProvider, type OpenLibraryCallKind } from '../../helpers/fake-providers.js'
import { recorded, recordedText } from '../../helpers/provider-samples.js'

let server: FakeProvider<OpenLibraryCallKind> | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(options?: FakeOpenLibraryOptions): Promise<FakeProvider<OpenLibraryCallKind>> {
  server = await startFakeOpenLibrary(options)
  return server
}

async function get(path: string, userAgent = CONTACT_USER_AGENT) {
  const response = await request(`${server!.url}${path}`, { headers: { 'user-agent': userAgent } })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) as unknown }
}

describe('fake Open Library over HTTP', () => {
  it('serves Fantastic Mr. Fox through the /isbn/ redirect, work, author and ratings, as the mappings expect', async () => {
    await start()
    const [byIsbn13, byIsbn10] = openLibraryEditionPaths('9780140328721', '0140328726')
    const redirect = await get(byIsbn13!)
    expect(redirect.status).toBe(302)
    expect(redirect.headers.location).toBe('/books/OL7353617M.json')
    expect((await get(byIsbn10!)).headers.location).toBe('/books/OL7353617M.json')

    const edition = (await get(String(redirect.headers.location))).json()
    expect(edition).toEqual(recorded('openlibrary/edition-OL7353617M.json'))
    const work = (await get(openLibraryWorkPath(openLibraryWorkKey(edition)!))).json()
    const authorNames = await Promise.all(openLibraryAuthorKeys(edition, work).map(async (key) => openLibraryAuthorName((await get(openLibraryAuthorPath(key))).json())!))
    const publisher = mapOpenLibraryPublisher({ edition, work, authorNames })
    expect(publisher.status === 'ok' && [publisher.data.title, publisher.data.authors, publisher.data.language]).toEqual(['Fantastic Mr. Fox', ['Roald Dahl'], 'en'])

    // No ratings were recorded for this work: the fake answers the notfound document.
    const ratings = await get(openLibraryRatingsPath('/works/OL45804W'))
    expect(ratings.status).toBe(404)
    expect(mapOpenLibraryRatings(ratings.json()).status).toBe('not_found')
    expect(mapOpenLibraryRatings((await get(openLibraryRatingsPath('/works/OL18020194W'))).json()).status).toBe('ok')

    expect(server!.calls).toMatchObject({ isbn: 2, edition: 1, work: 1, author: 1, ratings: 2, forbidden: 0 })
  })

  it('answers 404 for an ISBN it does not know', async () => {
    await start()
    const answer = await get('/isbn/9780000000002.json')
    expect(answer.status).toBe(404)
    expect(answer.json()).toEqual({ error: 'notfound', key: '/isbn/9780000000002' })
  })

  it('answers 403 with the nginx HTML page to a User-Agent without contact details', async () => {
    await start()
    for (const userAgent of ['bindery/sha-14ac48b (linux)', 'undici', '']) {
      const answer = await get('/search.json?q=x', userAgent)
      expect(answer.status).toBe(403)
      expect(answer.headers['content-type']).toBe('text/html')
      expect(answer.text).toBe(recordedText('openlibrary/error-403.html'))
    }
    expect(server!.calls.forbidden).toBe(3)
    expect(server!.calls.search).toBe(0)
  })

  it('serves subjects (limited), search and /api/books keyed by the bibkeys as sent', async () => {
    await start()
    const love = (await get(openLibrarySubjectPath('Love', 1))).json()
    expect(mapOpenLibrarySubjectRecommendations(love).status).toBe('ok')
    expect((await get(openLibrarySubjectPath('no such subject', 5))).json()).toMatchObject({ work_count: 0, works: [] })
    expect((await get('/search.json?q=9788466358804')).json()).toEqual(recorded('openlibrary/search-q-9788466358804.json'))

    const batch = (await get(openLibraryBooksApiPath(['0316015849', '9780316030571', '9780000000002']))).json()
    expect(Object.keys(batch as object)).toEqual(['ISBN:0316015849', 'ISBN:9780316030571'])
    expect(mapOpenLibraryBooksApiEntry(batch, '0316015849').status).toBe('ok')
    // Without format=json the real API answers JavaScript, and so does the fake.
    const script = await get('/api/books?bibkeys=ISBN:2070464237&jscmd=data')
    expect(script.headers['content-type']).toBe('application/javascript')
    expect(script.text).toMatch(/^var _OLBookInfo = \{"ISBN:2070464237":/)
    expect(server!.calls).toMatchObject({ subject: 2, search: 1, apiBooks: 2 })
  })

  it('answers 429 with its JSON body and Retry-After beyond the rate limit', async () => {
    await start({ rateLimit: { limit: 2, windowMs: 60_000 } })
    expect((await get('/works/OL45804W.json')).status).toBe(200)
    expect((await get('/works/OL45804W.json')).status).toBe(200)
    const limited = await get('/works/OL45804W.json')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59)
    expect(limited.json()).toEqual(recorded('openlibrary/error-429.json'))
    expect(server!.calls.work).toBe(3)
  })

  it('serves data given by the test beside the recorded data', async () => {
    await start({ data: { ratings: { OL45804W: { summary: { average: 4, count: 10 } } } } })
    expect(mapOpenLibraryRatings((await get('/works/OL45804W/ratings.json')).json()))
      .toEqual({ status: 'ok', data: { averageRating: 4, ratingsCount: 10, items: [] } })
  })

  it('delays answers by latencyMs, and close() ends a delayed answer at once', async () => {
    await start({ latencyMs: 150 })
    const started = Date.now()
    expect((await get('/works/OL45804W.json')).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)

    await server!.close()
    await start({ latencyMs: 60_000 })
    const pending = get('/works/OL45804W.json')
    await expect.poll(() => server!.requests.length).toBe(1)
    const closing = Date.now()
    await server!.close()
    await expect(pending).rejects.toThrow()
    expect(Date.now() - closing).toBeLessThan(1000)
  })
})
