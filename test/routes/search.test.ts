import type { IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { Behaviour } from '../helpers/fake-upstream.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { nthIsbn } from '../helpers/isbn.js'
import { startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

/** What the publisher API's /search answers: `count` hits, with a field we do not pass on. */
function searchHits(count: number): { results: Array<Record<string, unknown>> } {
  return {
    results: Array.from({ length: count }, (_, i) => ({
      isbn: nthIsbn(i), title: `Dune ${i}`, authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02', internalId: i
    }))
  }
}

/** The publisher answers /search with `count` hits (after `delayMs`) and anything else with 404. */
function searchAnswers(count: number, delayMs = 0): (req: IncomingMessage) => Behaviour {
  return (req) => ((req.url ?? '').startsWith('/search?')
    ? { kind: 'json', body: searchHits(count), delayMs }
    : { kind: 'json', status: 404, body: {} })
}

async function startSearchRig(behaviour: Behaviour | ((req: IncomingMessage) => Behaviour), env: Record<string, string> = {}): Promise<TestRig> {
  const started = await startRig({}, { CACHE_ENABLED: 'false', ...env })
  started.upstreams.publisher.respond(behaviour)
  return started
}

async function search(query: string) {
  const res = await rig!.app.inject({ method: 'GET', url: `/search${query}` })
  expectMatchesContract('/search', 'GET', res)
  return res
}
const publisherUrls = () => rig!.upstreams.publisher.requests.map((r) => `${r.method} ${r.url}`)

interface SearchBody { query: string; results: Array<Record<string, unknown>> }

describe('GET /search', () => {
  it('200 { query, results } with at most `limit` results, through the publisher /search', async () => {
    rig = await startSearchRig(searchAnswers(5))
    const res = await search('?q=dune&limit=2')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json() as SearchBody
    expect(Object.keys(body).sort()).toEqual(['query', 'results'])
    expect(body.query).toBe('dune')
    expect(body.results).toHaveLength(2)
    expect(body.results[0]).toEqual({
      isbn: nthIsbn(0), title: 'Dune 0', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02'
    })
    expect(publisherUrls()).toEqual(['GET /search?q=dune&limit=2'])
    expect(rig.upstreams.reviews.requests).toHaveLength(0)
    expect(rig.upstreams.recommendations.requests).toHaveLength(0)
  })

  it('the limit defaults to 10', async () => {
    rig = await startSearchRig(searchAnswers(12))
    const res = await search('?q=dune')
    expect(res.statusCode).toBe(200)
    expect((res.json() as SearchBody).results).toHaveLength(10)
    expect(publisherUrls()).toEqual(['GET /search?q=dune&limit=10'])
  })

  it('the limit bounds 1 and 50, and a 200-character query, are accepted', async () => {
    rig = await startSearchRig(searchAnswers(60))
    expect((await search('?q=dune&limit=1')).json()).toMatchObject({ results: [{ title: 'Dune 0' }] })
    expect(((await search('?q=dune&limit=50')).json() as SearchBody).results).toHaveLength(50)
    const long = 'a'.repeat(200)
    expect((await search(`?q=${long}&limit=3`)).statusCode).toBe(200)
    expect(publisherUrls()).toEqual(['GET /search?q=dune&limit=1', 'GET /search?q=dune&limit=50', `GET /search?q=${long}&limit=3`])
  })

  it.each([
    ['&, =, / and ?', 'R&D = a/b? yes'],
    ['# and +', 'C# + F#'],
    ['percent signs and encoded-looking text', '100% %26limit=50'],
    ['unicode', 'Dune – Über 東京 📚'],
    ['an injected parameter', 'dune&limit=50&admin=1']
  ])('a query with %s reaches the upstream as ONE encoded q parameter', async (_name, q) => {
    rig = await startSearchRig(searchAnswers(3))
    const res = await search(`?q=${encodeURIComponent(q)}&limit=3`)
    expect(res.statusCode).toBe(200)
    expect((res.json() as SearchBody).query).toBe(q)
    expect(rig.upstreams.publisher.requests).toHaveLength(1)
    const seen = new URL(rig.upstreams.publisher.requests[0]!.url, 'http://upstream.test')
    expect(seen.pathname).toBe('/search')
    expect([...seen.searchParams.keys()]).toEqual(['q', 'limit'])
    expect(seen.searchParams.get('q')).toBe(q)
    expect(seen.searchParams.get('limit')).toBe('3')
    // Nothing of the query survives unencoded in the request target.
    expect(rig.upstreams.publisher.requests[0]!.url).toMatch(/^\/search\?q=[A-Za-z0-9%+._~*-]*&limit=3$/)
  })

  it('surrounding whitespace is trimmed before the search', async () => {
    rig = await startSearchRig(searchAnswers(1))
    const res = await search('?q=%20%20dune%20')
    expect((res.json() as SearchBody).query).toBe('dune')
    expect(publisherUrls()).toEqual(['GET /search?q=dune&limit=10'])
  })

  it.each([
    ['a missing q', ''],
    ['a missing q with a limit', '?limit=5'],
    ['an empty q', '?q='],
    ['a whitespace-only q', '?q=%20%20%09'],
    ['a 201-character q', `?q=${'a'.repeat(201)}`],
    ['a control character', '?q=du%01ne'],
    ['a newline', '?q=du%0Ane'],
    ['a DEL character', '?q=du%7Fne'],
    ['two q parameters', '?q=dune&q=emma'],
    ['limit=0', '?q=dune&limit=0'],
    ['limit=51', '?q=dune&limit=51'],
    ['limit=abc', '?q=dune&limit=abc'],
    ['limit=-1', '?q=dune&limit=-1'],
    ['limit=1.5', '?q=dune&limit=1.5'],
    ['an empty limit', '?q=dune&limit=']
  ])('%s is a 400 problem+json with no upstream call', async (_name, query) => {
    rig = await startSearchRig(searchAnswers(3))
    const res = await search(query)
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({
      type: 'https://book-aggregator.dev/problems/invalid-parameter', title: 'Invalid parameter', status: 400, detail: expect.any(String)
    })
    expect(rig.upstreamRequestCount()).toBe(0)
  })

  it('a publisher 500 is a 502 problem', async () => {
    rig = await startSearchRig({ kind: 'json', status: 500, body: {} })
    const res = await search('?q=dune')
    expect(res.statusCode).toBe(502)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toMatchObject({ type: 'https://book-aggregator.dev/problems/upstreams-failed', status: 502 })
  })

  it('a publisher answer of the wrong shape is a 502 problem', async () => {
    rig = await startSearchRig({ kind: 'json', body: { hits: [] } })
    const res = await search('?q=dune')
    expect(res.statusCode).toBe(502)
    expect(res.json()).toMatchObject({ type: 'https://book-aggregator.dev/problems/upstreams-failed', status: 502 })
  })

  it('a publisher that hangs past PUBLISHER_TIMEOUT_MS is a 504 problem, in about that time', async () => {
    rig = await startSearchRig({ kind: 'hang' }, { PUBLISHER_TIMEOUT_MS: '200' })
    const started = performance.now()
    const res = await search('?q=dune')
    const elapsed = performance.now() - started
    expect(res.statusCode).toBe(504)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ type: 'https://book-aggregator.dev/problems/upstreams-timeout', status: 504 })
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(1500)
    // The timed-out call is not left running at the upstream.
    await rig.upstreams.publisher.waitForAborts(1, 2000)
  })

  describe('search cache', () => {
    it('a repeated query within the TTL is answered from the cache (one upstream call)', async () => {
      rig = await startSearchRig(searchAnswers(3))
      const first = await search('?q=dune&limit=3')
      const second = await search('?q=dune&limit=3')
      expect(first.statusCode).toBe(200)
      expect(second.statusCode).toBe(200)
      expect(second.json()).toEqual(first.json())
      expect(second.headers['cache-control']).toBe('public, max-age=60')
      expect(publisherUrls()).toEqual(['GET /search?q=dune&limit=3'])
    })

    it('a different query or limit is not answered from the cache', async () => {
      rig = await startSearchRig(searchAnswers(3))
      await search('?q=dune&limit=3')
      await search('?q=emma&limit=3')
      await search('?q=dune&limit=2')
      expect(publisherUrls()).toEqual(['GET /search?q=dune&limit=3', 'GET /search?q=emma&limit=3', 'GET /search?q=dune&limit=2'])
    })

    it('failures are not cached', async () => {
      rig = await startSearchRig({ kind: 'json', status: 500, body: {} }, { RETRY_ENABLED: 'false' })
      expect((await search('?q=dune')).statusCode).toBe(502)
      rig.upstreams.publisher.respond(searchAnswers(3))
      expect((await search('?q=dune')).statusCode).toBe(200)
      expect(rig.upstreams.publisher.requests).toHaveLength(2)
    })

    it('after the TTL the upstream is asked again', async () => {
      rig = await startSearchRig(searchAnswers(3), { SEARCH_CACHE_TTL_S: '1' })
      await search('?q=dune')
      await search('?q=dune')
      expect(rig.upstreams.publisher.requests).toHaveLength(1)
      await sleep(1100)
      await search('?q=dune')
      expect(rig.upstreams.publisher.requests).toHaveLength(2)
    })

    it('SEARCH_CACHE_TTL_S=0 turns the search cache off', async () => {
      rig = await startSearchRig(searchAnswers(3), { SEARCH_CACHE_TTL_S: '0' })
      await search('?q=dune')
      await search('?q=dune')
      expect(rig.upstreams.publisher.requests).toHaveLength(2)
    })
  })
})
