import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'
import { publisherRecordFor, recommendationsFor, reviewsFor, searchCatalog } from './catalog.js'

export interface DemoSourceBehaviour {
  /** Added before every answer, so partial responses and timeouts can be seen. */
  readonly latencyMs?: number
  /** Share of calls (0–1) answered with a 503. */
  readonly failureRate?: number
}

export interface DemoUpstreamsOptions {
  readonly host?: string
  readonly ports?: Partial<Record<SourceName, number>>
  readonly behaviour?: Partial<Record<SourceName, DemoSourceBehaviour>>
}

export interface DemoUpstreams {
  readonly urls: Record<SourceName, URL>
  readonly sampleIsbns: readonly string[]
  close(): Promise<void>
}

const LOOKUPS: Record<SourceName, (isbn13: string) => unknown> = {
  publisher: publisherRecordFor,
  reviews: reviewsFor,
  recommendations: recommendationsFor
}

export const SAMPLE_ISBNS = ['9780441013593', '9780441172719', '9780262510875'] as const

/**
 * Three real HTTP servers shaped like the production upstreams, serving the bundled catalog:
 * the service reaches them through the very same clients it uses in production. Each serves
 * the optional batch endpoint too (`GET /books?isbn=a&isbn=b`), which demo mode turns on.
 */
export async function startDemoUpstreams(options: DemoUpstreamsOptions = {}): Promise<DemoUpstreams> {
  const host = options.host ?? '127.0.0.1'
  const servers: Server[] = []
  const urls = {} as Record<SourceName, URL>
  for (const source of SOURCE_NAMES) {
    const server = createServer((req, res) => answer(source, options.behaviour?.[source] ?? {}, req, res))
    servers.push(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.ports?.[source] ?? 0, host, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    urls[source] = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`)
  }
  return {
    urls,
    sampleIsbns: SAMPLE_ISBNS,
    close: async () => {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })))
    }
  }
}

function answer(source: SourceName, behaviour: DemoSourceBehaviour, req: IncomingMessage, res: ServerResponse): void {
  const reply = (): void => {
    if (res.destroyed) return
    if ((behaviour.failureRate ?? 0) > Math.random()) return sendJson(res, 503, { error: 'injected failure' })
    const url = new URL(req.url ?? '/', 'http://demo')
    const book = /^\/books\/(\d{13})$/.exec(url.pathname)
    if (req.method === 'GET' && book?.[1] !== undefined) {
      const body = LOOKUPS[source](book[1])
      return body === undefined ? sendJson(res, 404, { error: 'not found' }) : sendJson(res, 200, body)
    }
    if (req.method === 'GET' && url.pathname === '/books') return sendBatch(res, source, url.searchParams.getAll('isbn'))
    if (req.method === 'GET' && source === 'publisher' && url.pathname === '/search') {
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 10) || 10, 1), 50)
      return sendJson(res, 200, searchCatalog(url.searchParams.get('q') ?? '', limit))
    }
    sendJson(res, 404, { error: 'no such route' })
  }
  const latency = behaviour.latencyMs ?? 0
  if (latency > 0) {
    const timer = setTimeout(reply, latency)
    res.once('close', () => clearTimeout(timer))
  } else {
    reply()
  }
}

/** The native contract's optional batch endpoint: the books it knows, keyed by ISBN-13; the rest absent. */
function sendBatch(res: ServerResponse, source: SourceName, isbns: readonly string[]): void {
  if (isbns.length === 0 || isbns.length > DEMO_BATCH_LIMIT) {
    return sendJson(res, 400, { error: `between 1 and ${DEMO_BATCH_LIMIT} isbn parameters` })
  }
  const items: Record<string, unknown> = {}
  for (const isbn of isbns) {
    const body = /^\d{13}$/.test(isbn) ? LOOKUPS[source](isbn) : undefined
    if (body !== undefined) items[isbn] = body
  }
  sendJson(res, 200, { items })
}

// More than the demo config asks for (25): a batch endpoint states its own limit.
const DEMO_BATCH_LIMIT = 100

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
  res.end(payload)
}
