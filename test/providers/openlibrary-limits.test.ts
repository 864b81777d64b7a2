import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { isbn13CheckDigit } from '../../src/domain/isbn-check-digit.js'
import { NO_OBSERVER } from '../../src/domain/observer.js'
import { loadConfig } from '../../src/config.js'
import { ProviderClient } from '../../src/upstream/provider-client.js'
import { openLibraryClientOptions } from '../../src/upstream/providers/openlibrary-client.js'
import { openLibrarySections } from '../../src/upstream/providers/openlibrary-source.js'
import { UpstreamHost } from '../../src/upstream/upstream-host.js'
import { startFakeOpenLibrary, type FakeProvider, type OpenLibraryCallKind } from '../helpers/fake-providers.js'
import { FANTASTIC_MR_FOX, FOX_EXTRAS, startProviderApp, type BookBody, type ProviderApp } from '../helpers/provider-app.js'
import { closeAfterEach } from '../helpers/close-after-each.js'

const closeLater = closeAfterEach()

async function fakeOpenLibrary(options: Parameters<typeof startFakeOpenLibrary>[0] = {}): Promise<FakeProvider<OpenLibraryCallKind>> {
  const fake = await startFakeOpenLibrary({ data: FOX_EXTRAS, ...options })
  closeLater(() => fake.close())
  return fake
}

// The per-book chain under the budget (batching off); openlibrary-batching.test.ts has the batched one.
async function service(env: Record<string, string>): Promise<ProviderApp> {
  const app = await startProviderApp({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_BATCH_MAX: '0', ...env })
  closeLater(() => app.close())
  return app
}

/** `count` different valid ISBN-13s, none of them known to the fake but the first (the Fox). */
function isbns(count: number): string[] {
  return [FANTASTIC_MR_FOX, ...Array.from({ length: count - 1 }, (_, i) => {
    const twelve = `978000${String(100_000 + i)}`
    return twelve + isbn13CheckDigit(twelve)
  })]
}

describe('Open Library outbound limits', () => {
  it('30 concurrent cold books at 3 rps: no second holds more than 3 requests, every answer comes within the deadline', async () => {
    const fake = await fakeOpenLibrary({ rateLimit: { limit: 3, windowMs: 1000 } })
    // Provider mode's defaults: 4 s per section, 5 s per request.
    const app = await service({ OPENLIBRARY_URL: fake.url, OPENLIBRARY_MAX_RPS: '3' })
    const started = performance.now()
    const answers = await Promise.all(isbns(30).map(async (isbn) => {
      const response = await app.app.inject({ method: 'GET', url: `/books/${isbn}` })
      return { isbn, ms: performance.now() - started, body: response.json<BookBody>() }
    }))
    for (const answer of answers) {
      expect(answer.ms).toBeLessThan(5000 + 250)
      const statuses = ['publisher', 'reviews', 'recommendations'].map((s) => answer.body.sources[s]?.status)
      for (const status of statuses) expect(['ok', 'not_found', 'rate_limited']).toContain(status)
    }
    const statuses = answers.flatMap((a) => Object.values(a.body.sources))
    expect(statuses.some((s) => s.status === 'rate_limited')).toBe(true)
    // Books whose lookup could not start soon gave their slots to the ones under way: the Fox
    // (asked first) is served whole, and the others that started were answered (not_found).
    expect(answers[0]?.body.sources).toMatchObject({ publisher: { status: 'ok' }, reviews: { status: 'ok' }, recommendations: { status: 'ok' } })
    expect(statuses.filter((s) => s.status === 'not_found').length).toBeGreaterThan(0)
    // The fake never had to say 429: we kept under its limit on our own.
    expect(statuses.some((s) => s.httpStatus === 429)).toBe(false)
    // As the fake saw them: any four consecutive requests span at least a second.
    const times = fake.requests.map((r) => r.receivedAt).sort((a, b) => a - b)
    for (let i = 3; i < times.length; i++) expect((times[i] as number) - (times[i - 3] as number)).toBeGreaterThanOrEqual(1000)
    expect(times.length).toBeGreaterThanOrEqual(6)
  }, 15_000)

  it('a 429 with Retry-After pauses Open Library for every section and every book until it has passed', async () => {
    const fake = await fakeOpenLibrary({ rateLimit: { limit: 1, windowMs: 3000 } })
    // Deadlines shorter than the pause: nobody can wait it out, so nobody is sent.
    const app = await service({ OPENLIBRARY_URL: fake.url, REQUEST_DEADLINE_MS: '2000', UPSTREAM_TIMEOUT_MS: '2000' })
    const first = (await app.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}` })).json()
    // The redirect hop to the edition got the 429: all three sections waited on it.
    expect(first.sources.publisher).toMatchObject({ status: 'rate_limited', httpStatus: 429, provider: 'openlibrary' })
    expect(first.sources.publisher.detail).toMatch(/^openlibrary answered 429 \(too many requests\); pausing it for 3 s/)
    const seen = fake.requests.length
    expect(seen).toBe(2)
    const other = (await app.app.inject({ method: 'GET', url: '/books/9780441013593' })).json()
    for (const section of ['publisher', 'reviews', 'recommendations']) {
      expect(other.sources[section].status).toBe('rate_limited')
      expect(other.sources[section].detail).toMatch(/openlibrary asked us to wait \(429, Retry-After\) for [23] s more; not called/)
    }
    expect(fake.requests.length).toBe(seen)
  })

  it('a 403 (User-Agent without contact) is logged once at error, as a configuration problem, and never retried', async () => {
    const fake = await fakeOpenLibrary()
    const errors: Array<{ fields: object; message: string }> = []
    const log = { error: (fields: object, message: string) => errors.push({ fields, message }), warn: () => undefined }
    const config = loadConfig({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_CONTACT: 'x@example.org' })
    const host = new UpstreamHost('openlibrary', { ...config.resilience, maxRps: 10 }, log, NO_OBSERVER)
    const options = openLibraryClientOptions({ baseUrl: new URL(fake.url), contact: 'x@example.org', maxBodyBytes: 1 << 20, connections: 2 }, log)
    // The User-Agent Bindery sent when Open Library refused it (provider-samples/openlibrary/error-403.html).
    const client = new ProviderClient({ ...options, headers: { 'user-agent': 'bindery/sha-14ac48b (linux)' } }, host)
    closeLater(() => client.close())
    const { publisher } = openLibrarySections(client)
    for (const isbn of [FANTASTIC_MR_FOX, '9780441013593']) {
      const result = await publisher?.fetchBook(isbn, new AbortController().signal, performance.now() + 2000)
      expect(result).toEqual({ status: 'error', httpStatus: 403, detail: 'openlibrary refused the request (403): the User-Agent contact was not accepted' })
    }
    expect(fake.calls.forbidden).toBe(2) // one request per lookup: no retry, no second ISBN form
    expect(errors).toEqual([{
      fields: { provider: 'openlibrary', httpStatus: 403 },
      message: 'Open Library refused our User-Agent (403): check OPENLIBRARY_CONTACT (an e-mail address or URL Open Library accepts)'
    }])
  })

  describe('redirects', () => {
    async function server(handler: (path: string, port: number) => { status: number; location?: string; body?: string }): Promise<{ url: string; paths: string[] }> {
      const paths: string[] = []
      const http: Server = createServer((req, res) => {
        paths.push(req.url ?? '')
        const answer = handler(req.url ?? '', (http.address() as AddressInfo).port)
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.location === undefined ? {} : { location: answer.location }) })
        res.end(answer.body ?? '')
      })
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
      closeLater(() => new Promise<void>((resolve) => http.close(() => resolve())))
      return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, paths }
    }

    it('are not followed to another host', async () => {
      const elsewhere = await server(() => ({ status: 200, body: '{}' }))
      const openLibrary = await server(() => ({ status: 302, location: `${elsewhere.url}/books/OL7353617M.json` }))
      const app = await service({ OPENLIBRARY_URL: openLibrary.url })
      const body = (await app.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}?include=publisher` })).json()
      expect(body.sources.publisher).toMatchObject({ status: 'error', detail: 'openlibrary redirected to another host (127.0.0.1:' + elsewhere.url.split(':')[2] + '); not followed' })
      expect(elsewhere.paths).toEqual([])
    })

    it('are followed within a bound: a redirect loop ends after two hops', async () => {
      const openLibrary = await server((path) => ({ status: 302, location: path }))
      const app = await service({ OPENLIBRARY_URL: openLibrary.url, CACHE_ENABLED: 'false' })
      const body = (await app.app.inject({ method: 'GET', url: `/books/${FANTASTIC_MR_FOX}?include=publisher` })).json()
      expect(body.sources.publisher).toMatchObject({ status: 'error', detail: 'openlibrary redirected more than 2 times; not followed' })
      // Each hop is a request of its own (sent once the one before has answered), against the budget.
      expect(openLibrary.paths).toEqual([`/isbn/${FANTASTIC_MR_FOX}.json`, `/isbn/${FANTASTIC_MR_FOX}.json`, `/isbn/${FANTASTIC_MR_FOX}.json`])
    })
  })
})
