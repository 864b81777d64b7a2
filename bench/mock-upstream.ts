import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyTemplate } from './fixtures.js'
import { isbn13CheckDigit } from './isbn.js'
import { drawDelayMs, isLatencySpec, SOURCES, type LatencyBySource, type Source } from './latency.js'

// The three upstream APIs in one process, one port each, answering any valid ISBN-13 after a
// delay drawn from the latency distribution in MOCK_LATENCY (JSON: per-source spec). It counts
// calls per source so scenarios can compare upstream traffic (coalescing, caching, hedging):
// `GET /__stats` on any port reads the counters (calls, peak concurrency, new connections), `POST /__reset` zeroes them.
// On start it prints one JSON line `{"ports": {...}}` on stdout for the harness.

const latency = parseLatency(process.env.MOCK_LATENCY)
const templates = Object.fromEntries(SOURCES.map((s) => [s, bodyTemplate(s)])) as Record<Source, readonly string[]>
const calls = zeroes()
const inFlight = zeroes()
const maxInFlight = zeroes()
// New TCP connections: with keep-alive pools this stays near the pool size; a count that
// grows with the requests means a client is churning sockets.
const connections = zeroes()
const BOOK_PATH = /^\/books\/(\d{13})$/

function zeroes(): Record<Source, number> {
  return { publisher: 0, reviews: 0, recommendations: 0 }
}

function parseLatency(raw: string | undefined): LatencyBySource {
  const parsed: unknown = JSON.parse(raw ?? '0')
  if (isLatencySpec(parsed)) return { publisher: parsed, reviews: parsed, recommendations: parsed }
  const bySource = parsed as Record<string, unknown>
  for (const source of SOURCES) {
    if (!isLatencySpec(bySource[source])) throw new Error(`MOCK_LATENCY: bad spec for ${source}: ${raw}`)
  }
  return parsed as LatencyBySource
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function handle(source: Source, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/'
  const book = req.method === 'GET' ? BOOK_PATH.exec(url) : null
  if (book !== null) {
    const isbn = book[1] as string
    if (isbn13CheckDigit(isbn) !== isbn[12]) return sendJson(res, 404, '{"error":"not found"}')
    calls[source]++
    inFlight[source]++
    maxInFlight[source] = Math.max(maxInFlight[source], inFlight[source])
    const answer = (): void => {
      inFlight[source]--
      if (!res.destroyed) sendJson(res, 200, templates[source].join(isbn))
    }
    const delay = drawDelayMs(latency[source])
    // At 0 ms answer synchronously: even a 0 ms timer would add a loop turn per call.
    if (delay > 0) setTimeout(answer, delay)
    else answer()
    return
  }
  if (req.method === 'GET' && url === '/__stats') {
    return sendJson(res, 200, JSON.stringify({ calls, maxInFlight, connections, latency }))
  }
  if (req.method === 'POST' && url === '/__reset') {
    for (const s of SOURCES) {
      calls[s] = 0
      connections[s] = 0
      maxInFlight[s] = inFlight[s]
    }
    return sendJson(res, 200, '{"reset":true}')
  }
  sendJson(res, 404, '{"error":"no such route"}')
}

async function listen(source: Source): Promise<number> {
  const server = createServer((req, res) => handle(source, req, res))
  server.on('connection', () => connections[source]++)
  // Long keep-alive so clients never race a server-side idle close in the middle of a run.
  server.keepAliveTimeout = 120_000
  server.headersTimeout = 130_000
  server.requestTimeout = 0
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}

const ports = Object.fromEntries(await Promise.all(SOURCES.map(async (s) => [s, await listen(s)] as const)))
process.stdout.write(`${JSON.stringify({ ports })}\n`)
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
