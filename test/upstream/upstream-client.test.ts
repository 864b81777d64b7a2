import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FetchResult } from '../../src/domain/outcome.js'
import { UpstreamClient } from '../../src/upstream/upstream-client.js'
import { REFUSED_URL, startFakeUpstream, type Behaviour, type FakeUpstream } from '../helpers/fake-upstream.js'
import { DUNE, okBody } from '../helpers/test-app.js'
import { sleep } from './policies/helpers.js'

const MAX_BODY = 64 * 1024
let upstream: FakeUpstream | undefined
let client: UpstreamClient | undefined

afterEach(async () => {
  await client?.close()
  await upstream?.close()
  upstream = undefined
  client = undefined
})

const clientFor = (baseUrl: string, connections = 4): UpstreamClient =>
  new UpstreamClient({ source: 'publisher', baseUrl: new URL(baseUrl), maxBodyBytes: MAX_BODY, connections })

/** sendBook as a promise of its result, for tests that only want the answer; counts calls of done. */
function fetchBook(from: UpstreamClient, isbn = DUNE): { readonly result: Promise<FetchResult>; readonly doneCalls: () => number } {
  let calls = 0
  const result = new Promise<FetchResult>((resolve) => {
    from.sendBook(isbn, undefined, (answer) => {
      calls++
      resolve(answer)
    })
  })
  return { result, doneCalls: () => calls }
}

async function fetchWith(behaviour: Behaviour): Promise<{ result: FetchResult; doneCalls: () => number }> {
  upstream = await startFakeUpstream(behaviour)
  client = clientFor(upstream.url)
  const call = fetchBook(client)
  return { result: await call.result, doneCalls: call.doneCalls }
}

describe('UpstreamClient.sendBook', () => {
  it('answers the validated section without isbn and unknown fields', async () => {
    const { result } = await fetchWith({ kind: 'json', body: okBody('publisher') })
    expect(result).toEqual({
      status: 'ok',
      data: { title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02' }
    })
    expect(upstream!.requests[0]?.headers.accept).toBe('application/json')
  })

  it('keeps a base path of the upstream URL', async () => {
    upstream = await startFakeUpstream({ kind: 'json', body: okBody('publisher') })
    client = clientFor(`${upstream.url}/api/v2/`, 1)
    await fetchBook(client).result
    expect(upstream.requests[0]?.url).toBe(`/api/v2/books/${DUNE}`)
  })

  it.each<[string, Behaviour, string, RegExp]>([
    ['404', { kind: 'json', status: 404, body: {} }, 'not_found', /.*/],
    ['500', { kind: 'json', status: 500, body: { error: 'x' } }, 'error', /publisher answered HTTP 500/],
    ['503', { kind: 'json', status: 503, body: {} }, 'error', /HTTP 503/],
    ['a redirect (never followed)', { kind: 'json', status: 302, body: {} }, 'error', /HTTP 302/],
    ['malformed JSON', { kind: 'raw', body: '{"title": "Dune"' }, 'invalid_response', /not valid JSON/],
    ['HTML', { kind: 'raw', body: '<html>oops</html>' }, 'invalid_response', /not valid JSON/],
    ['the wrong shape', { kind: 'json', body: { isbn: DUNE, title: 42 } }, 'invalid_response', /publisher/],
    ['a JSON array', { kind: 'json', body: [1, 2] }, 'invalid_response', /must be object/],
    ['an announced oversized body', { kind: 'raw', body: 'x', contentLength: MAX_BODY * 10 }, 'invalid_response', /limit/],
    ['a streamed oversized body', { kind: 'stream', chunkBytes: 16 * 1024, chunks: 64 }, 'invalid_response', /limit/],
    ['a reset before headers', { kind: 'reset' }, 'error', /request failed/],
    ['a Content-Length larger than the body', { kind: 'raw', body: '{}', contentLength: 500, delayMs: 0 }, 'error', /request failed/]
  ])('settles %s as %s, calling done exactly once', async (_name, behaviour, status, detail) => {
    const { result, doneCalls } = await fetchWith(behaviour)
    expect(result.status).toBe(status)
    if ('detail' in result) expect(result.detail).toMatch(detail)
    // A body cut off (or a connection torn down) after the answer must not answer again.
    await sleep(20)
    expect(doneCalls()).toBe(1)
  })

  it('answers a 503 with its Retry-After', async () => {
    const { result } = await fetchWith({ kind: 'raw', status: 503, body: '{}', headers: { 'retry-after': '2' } })
    expect(result).toMatchObject({ status: 'error', httpStatus: 503, retryAfterMs: 2000 })
  })

  it('reports a refused connection as error', async () => {
    client = new UpstreamClient({ source: 'reviews', baseUrl: new URL(REFUSED_URL), maxBodyBytes: MAX_BODY, connections: 1 })
    await expect(fetchBook(client).result).resolves.toMatchObject({ status: 'error', detail: expect.stringContaining('ECONNREFUSED') })
  })

  it('never calls done once aborted, and the upstream sees the request closed', async () => {
    upstream = await startFakeUpstream({ kind: 'hang' })
    client = clientFor(upstream.url)
    const done = vi.fn()
    const handle = client.sendBook(DUNE, undefined, done)
    await vi.waitFor(() => expect(upstream!.requests).toHaveLength(1))

    handle.abort(new Error('client left'))
    await upstream.waitForAborts(1)
    await sleep(20)
    expect(done).not.toHaveBeenCalled()
  })

  it('never calls done when aborted before the request went out', async () => {
    upstream = await startFakeUpstream({ kind: 'json', body: okBody('publisher') })
    client = clientFor(upstream.url)
    const done = vi.fn()
    client.sendBook(DUNE, undefined, done).abort(new Error('client left'))

    await sleep(100)
    expect(done).not.toHaveBeenCalled()
    expect(upstream.inFlight).toBe(0)
  })

  it('refuses an ISBN that is not normalized instead of putting it in a path', async () => {
    upstream = await startFakeUpstream({ kind: 'json', body: okBody('publisher') })
    client = clientFor(upstream.url, 1)
    const done = vi.fn()
    expect(() => client!.sendBook('../admin', undefined, done)).toThrow(TypeError)
    await sleep(20)
    expect(upstream.requests).toHaveLength(0)
    expect(done).not.toHaveBeenCalled()
  })
})
