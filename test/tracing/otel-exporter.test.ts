import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { tracesUrl } from '../../src/tracing/otel-exporter.js'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/
/** OTLP's SpanKind enum. */
const SERVER = 2
const CLIENT = 3

interface OtlpAttribute {
  key: string
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean }
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: OtlpAttribute[]
  status?: { code?: number }
}
interface OtlpExport {
  resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>
}

interface Collector {
  readonly url: string
  readonly posts: Array<{ url: string; headers: IncomingHttpHeaders; body: OtlpExport }>
  spans(): OtlpSpan[]
  close(): Promise<void>
}

/** A real OTLP/HTTP collector on loopback: records each export it receives. */
async function startCollector(): Promise<Collector> {
  const posts: Collector['posts'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      posts.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    spans: () => posts.flatMap((p) => p.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : value.stringValue ?? value.intValue ?? value.boolValue
}

describe('span export with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let collector: Collector
  let rig: TestRig | undefined

  afterEach(async () => {
    await rig?.close()
    rig = undefined
    await collector.close()
  })

  /** The app listening on a real port, exporting to the collector; hedges off so each source is called once. */
  async function start(env: Record<string, string> = {}): Promise<string> {
    collector = await startCollector()
    rig = await startRig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, HEDGE_ENABLED: 'false', ...env })
    return rig.app.listen({ host: '127.0.0.1', port: 0 })
  }

  it('exports a server span for the request and a client span per upstream call, in the caller\'s trace', async () => {
    const base = await start({ OTEL_SERVICE_NAME: 'books-test' })
    const res = await fetch(`${base}/books/${DUNE}`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const upstreams = rig!.upstreams
    expect(collector.posts).toHaveLength(0) // batched: nothing sent before the flush
    await rig!.close() // flushes
    rig = undefined

    expect(collector.posts.length).toBeGreaterThan(0)
    for (const post of collector.posts) {
      expect(post.url).toBe('/v1/traces')
      expect(post.headers['content-type']).toMatch(/^application\/json/)
      expect(post.body.resourceSpans[0]?.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'books-test' } })
    }
    const spans = collector.spans()
    expect(spans.every((s) => s.traceId === CALLER_TRACE)).toBe(true)

    const servers = spans.filter((s) => s.kind === SERVER)
    expect(servers).toHaveLength(1)
    const request = servers[0]!
    expect(request.parentSpanId).toBe(CALLER_SPAN)
    expect(request.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(request.spanId).not.toBe(CALLER_SPAN)
    expect(request.name).toBe('GET /books/:isbn')
    expect(attribute(request, 'http.request.method')).toBe('GET')
    expect(attribute(request, 'http.route')).toBe('/books/:isbn')
    expect(attribute(request, 'url.path')).toBe(`/books/${DUNE}`)
    expect(Number(attribute(request, 'http.response.status_code'))).toBe(200)

    const clients = spans.filter((s) => s.kind === CLIENT)
    expect(clients.map((s) => attribute(s, 'book_aggregator.source')).sort()).toEqual(['publisher', 'recommendations', 'reviews'])
    for (const source of ['publisher', 'reviews', 'recommendations'] as const) {
      const span = clients.find((s) => attribute(s, 'book_aggregator.source') === source)!
      expect(span.name).toBe(`${source} upstream`)
      expect(span.parentSpanId).toBe(request.spanId)
      expect(attribute(span, 'book_aggregator.outcome')).toBe('ok')
      // The upstream saw this very span as its parent.
      expect(upstreams[source].requests).toHaveLength(1)
      const sent = TRACEPARENT.exec(String(upstreams[source].requests[0]!.headers.traceparent))
      expect(sent?.[1]).toBe(CALLER_TRACE)
      expect(sent?.[2]).toBe(span.spanId)
    }
  })

  it('exports a root span with the trace id it sent upstream when the caller sent no traceparent', async () => {
    const base = await start()
    const res = await fetch(`${base}/books/${DUNE}`)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const sent = TRACEPARENT.exec(String(rig!.upstreams.publisher.requests[0]!.headers.traceparent))
    await rig!.close()
    rig = undefined

    const spans = collector.spans()
    const request = spans.find((s) => s.kind === SERVER)!
    expect(request.parentSpanId ?? '').toBe('')
    expect(request.traceId).toBe(sent?.[1])
    expect(spans.filter((s) => s.kind === CLIENT)).toHaveLength(3)
    expect(spans.every((s) => s.traceId === request.traceId)).toBe(true)
    expect(spans.find((s) => attribute(s, 'book_aggregator.source') === 'publisher')?.spanId).toBe(sent?.[2])
  })

  it('exports nothing for a caller that did not sample its trace, and still propagates it', async () => {
    const base = await start()
    await (await fetch(`${base}/books/${DUNE}`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-00` } })).arrayBuffer()
    const sent = String(rig!.upstreams.publisher.requests[0]!.headers.traceparent)
    await rig!.close()
    rig = undefined

    expect(sent).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-00$`))
    expect(sent).not.toContain(CALLER_SPAN)
    expect(collector.spans()).toEqual([])
  })

  it('records a failed upstream call as an error span and a 404 route without a route name', async () => {
    const base = await start()
    rig!.upstreams.reviews.respond({ kind: 'json', status: 500, body: {} })
    await (await fetch(`${base}/books/${DUNE}`)).arrayBuffer()
    await (await fetch(`${base}/no/such/path`)).arrayBuffer()
    await rig!.close()
    rig = undefined

    const spans = collector.spans()
    const reviews = spans.filter((s) => attribute(s, 'book_aggregator.source') === 'reviews')
    expect(reviews.length).toBeGreaterThan(0)
    for (const span of reviews) {
      expect(attribute(span, 'book_aggregator.outcome')).toBe('error')
      expect(span.status?.code).toBe(2) // STATUS_CODE_ERROR
    }
    const notFound = spans.find((s) => s.kind === SERVER && attribute(s, 'url.path') === '/no/such/path')!
    expect(notFound.name).toBe('GET')
    expect(Number(attribute(notFound, 'http.response.status_code'))).toBe(404)
  })

  it('ends the request span when the client leaves before the response', async () => {
    const base = await start()
    rig!.upstreams.publisher.respond({ kind: 'hang' })
    const controller = new AbortController()
    const pending = fetch(`${base}/books/${DUNE}`, { signal: controller.signal }).catch(() => undefined)
    await waitFor(() => rig!.upstreams.publisher.requests.length > 0)
    controller.abort()
    await pending
    await rig!.upstreams.publisher.waitForAborts(1)
    await rig!.close()
    rig = undefined

    const request = collector.spans().find((s) => s.kind === SERVER)!
    expect(request).toBeDefined()
    expect(attribute(request, 'book_aggregator.client_closed')).toBe(true)
    const publisher = collector.spans().find((s) => attribute(s, 'book_aggregator.source') === 'publisher')!
    expect(publisher.parentSpanId).toBe(request.spanId)
    expect(attribute(publisher, 'book_aggregator.outcome')).toBe('aborted')
  })
})

describe('tracesUrl', () => {
  it('appends the OTLP traces path to the endpoint, as the OTLP spec says for OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(tracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces')
    expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces')
    expect(tracesUrl('https://otel.example/ingest/')).toBe('https://otel.example/ingest/v1/traces')
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
