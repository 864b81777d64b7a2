import { afterEach, describe, expect, it } from 'vitest'
import { UpstreamClient } from '../../src/upstream/upstream-client.js'
import { REFUSED_URL, startFakeUpstream, type Behaviour, type FakeUpstream } from '../helpers/fake-upstream.js'
import { DUNE, okBody } from '../helpers/test-app.js'

const MAX_BODY = 64 * 1024
let upstream: FakeUpstream | undefined
let client: UpstreamClient | undefined

afterEach(async () => {
  await client?.close()
  await upstream?.close()
  upstream = undefined
  client = undefined
})

async function fetchWith(behaviour: Behaviour, signal = new AbortController().signal) {
  upstream = await startFakeUpstream(behaviour)
  client = new UpstreamClient({ source: 'publisher', baseUrl: new URL(upstream.url), maxBodyBytes: MAX_BODY, connections: 4 })
  return client.fetchBook(DUNE, signal)
}

describe('UpstreamClient.fetchBook', () => {
  it('returns the validated section without isbn and unknown fields', async () => {
    const result = await fetchWith({ kind: 'json', body: okBody('publisher') })
    expect(result).toEqual({
      status: 'ok',
      data: { title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02' },
      digest: expect.stringMatching(/^[\w-]{27}$/)
    })
    expect(upstream!.requests[0]?.headers.accept).toBe('application/json')
  })

  it('keeps a base path of the upstream URL', async () => {
    upstream = await startFakeUpstream({ kind: 'json', body: okBody('publisher') })
    client = new UpstreamClient({ source: 'publisher', baseUrl: new URL(`${upstream.url}/api/v2/`), maxBodyBytes: MAX_BODY, connections: 1 })
    await client.fetchBook(DUNE, new AbortController().signal)
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
  ])('settles %s as %s', async (_name, behaviour, status, detail) => {
    const result = await fetchWith(behaviour)
    expect(result.status).toBe(status)
    if ('detail' in result) expect(result.detail).toMatch(detail)
  })

  it('reports a refused connection as error', async () => {
    client = new UpstreamClient({ source: 'reviews', baseUrl: new URL(REFUSED_URL), maxBodyBytes: MAX_BODY, connections: 1 })
    const result = await client.fetchBook(DUNE, new AbortController().signal)
    expect(result).toMatchObject({ status: 'error', detail: expect.stringContaining('ECONNREFUSED') })
  })

  it('rejects with the signal reason when aborted, and the upstream sees the request closed', async () => {
    const controller = new AbortController()
    const pending = fetchWith({ kind: 'hang' }, controller.signal)
    await new Promise((resolve) => setTimeout(resolve, 100))
    controller.abort(new Error('client left'))
    await expect(pending).rejects.toThrow('client left')
    await upstream!.waitForAborts(1)
  })

  it('refuses an ISBN that is not normalized instead of putting it in a path', async () => {
    upstream = await startFakeUpstream({ kind: 'json', body: okBody('publisher') })
    client = new UpstreamClient({ source: 'publisher', baseUrl: new URL(upstream.url), maxBodyBytes: MAX_BODY, connections: 1 })
    await expect(client.fetchBook('../admin', new AbortController().signal)).rejects.toThrow(TypeError)
    expect(upstream.requests).toHaveLength(0)
  })
})
