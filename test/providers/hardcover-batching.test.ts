import { describe, expect, it } from 'vitest'
import { isbn13CheckDigit } from '../../src/domain/isbn-check-digit.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { startFakeHardcover, type FakeProvider, type HardcoverCallKind } from '../helpers/fake-providers.js'
import { startProviderApp, type BookBody, type ProviderApp } from '../helpers/provider-app.js'
import { closeAfterEach } from '../helpers/close-after-each.js'

// Hardcover with batching on (its default, HARDCOVER_BATCH_MAX=25): the editions queries of
// concurrent books go out as one query, whose `_in` lists carry every ISBN.

const TOKEN = 'hc-test-token-4f9a2c'
const OATHBRINGER = '9780765365293'

const closeLater = closeAfterEach()

async function start(env: Record<string, string> = {}): Promise<{ fake: FakeProvider<HardcoverCallKind>; service: ProviderApp }> {
  const fake = await startFakeHardcover({ token: TOKEN })
  closeLater(() => fake.close())
  const service = await startProviderApp({
    PUBLISHER_PROVIDERS: 'hardcover', REVIEWS_PROVIDERS: 'native', RECOMMENDATIONS_PROVIDERS: 'native',
    HARDCOVER_URL: `${fake.url}/v1/graphql`, HARDCOVER_TOKEN: TOKEN, HARDCOVER_MAX_RPS: '50', CACHE_ENABLED: 'false', ...env
  })
  closeLater(() => service.close())
  return { fake, service }
}

function unknownIsbns(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const twelve = `978000${String(300_000 + i)}`
    return twelve + isbn13CheckDigit(twelve)
  })
}

const editionsQueries = (fake: FakeProvider<HardcoverCallKind>) => fake.requests
  .map((r) => JSON.parse(r.body) as { operationName?: string; variables?: { isbn13?: string[] } })
  .filter((body) => body.operationName === 'EditionsByIsbn')

describe('Hardcover with batched editions queries', () => {
  it('asks for 25 concurrent cold books in at most 2 editions queries, and each book reads its own edition', async () => {
    const { fake, service } = await start()
    const isbns = [OATHBRINGER, ...unknownIsbns(24)]
    const answers = await Promise.all(isbns.map(async (isbn) => {
      const response = await service.app.inject({ method: 'GET', url: `/books/${isbn}?include=publisher` })
      return { response, body: response.json<BookBody>() }
    }))
    const queries = editionsQueries(fake)
    expect(queries.length).toBeLessThanOrEqual(2)
    expect(queries.flatMap((q) => q.variables?.isbn13 ?? []).sort()).toEqual([...isbns].sort())
    const [oathbringer, ...others] = answers
    expect(oathbringer?.response.statusCode).toBe(200)
    expectMatchesContract('/books/{isbn}', 'GET', oathbringer!.response)
    expect(oathbringer?.body.publisher).toMatchObject({ title: 'Oathbringer', publisher: 'Tor Fantasy' })
    expect(oathbringer?.body.sources.publisher).toMatchObject({ status: 'ok', provider: 'hardcover' })
    expect(oathbringer?.body.sources.publisher?.batched).toBeGreaterThanOrEqual(2)
    for (const other of others) {
      expect(other.response.statusCode).toBe(404)
      expect(other.body.sources.publisher).toMatchObject({ status: 'not_found', provider: 'hardcover' })
    }
  })

  it('keeps one query per book with HARDCOVER_BATCH_MAX=0', async () => {
    const { fake, service } = await start({ HARDCOVER_BATCH_MAX: '0' })
    await Promise.all(unknownIsbns(5).map((isbn) => service.app.inject({ method: 'GET', url: `/books/${isbn}?include=publisher` })))
    expect(editionsQueries(fake).map((q) => q.variables?.isbn13?.length)).toEqual([1, 1, 1, 1, 1])
  })
})
