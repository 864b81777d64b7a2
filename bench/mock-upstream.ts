import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { drawFault, FAULT_OUTCOMES, parseFaults, type FaultOutcome } from './faults.js'
import { bodyTemplate } from './fixtures.js'
import { isbn13CheckDigit } from './isbn.js'
import { drawDelayMs, isLatencySpec, SOURCES, type LatencyBySource, type Source } from './latency.js'
import { parseMaxRps, SlidingWindowLimit } from './mock-rate-limit.js'

// The three upstream APIs in one process, one port each, answering any valid ISBN-13 after a
// delay drawn from the latency distribution in MOCK_LATENCY (JSON: per-source spec). It counts
// calls per source so scenarios can compare upstream traffic (coalescing, caching, hedging):
// `GET /__stats` on any port reads the counters (calls, peak concurrency, new connections), `POST /__reset` zeroes them.
// Each port also serves the batch endpoint, `GET /books?isbn=a&isbn=b…` → `{"items": {"<isbn13>":
// <what /books/{isbn13} answers>}}` (unknown ISBNs absent), after one latency draw and counted as
// one call; `booksServed` counts the ISBNs answered, one per single call and n per batch.
// MOCK_MAX_RPS (a number) limits each port like a provider's quota: a book request beyond that
// many within any 1 s sliding window is answered 429 at once with `Retry-After: 1` (below 1 per
// second: one per 1/rate s), counted in `rejected429` and not in `calls` (see mock-rate-limit.ts).
// On start it prints one JSON line `{"ports": {...}, "control": port}` on stdout for the harness;
// the control port answers only /__stats and /__reset, so reading the counters never opens a
// connection to an upstream's port (which would count as one of its clients' sockets).
// Open connections per upstream port, now and at most (`openConnections`, `peakOpenConnections`).
// MOCK_FAULTS (JSON, see faults.ts) adds faults per source: slow answers, error statuses, hangs
// and flapping; `/__stats` then also counts each faulty source's calls by fate (`outcomes`), the
// hangs still held (`hanging`), the calls whose client left before the answer (`abandoned`) and
// the open connections that never carried a request (`openNeverUsed`).

const latency = parseLatency(process.env.MOCK_LATENCY)
const faults = parseFaults(process.env.MOCK_FAULTS)
const maxRps = parseMaxRps(process.env.MOCK_MAX_RPS)
const limits = Object.fromEntries(SOURCES.map((s) => [s, maxRps === undefined ? undefined : SlidingWindowLimit.perSecond(maxRps)])) as
  Record<Source, SlidingWindowLimit | undefined>
const RATE_LIMITED_BODY = JSON.stringify({ error: 'rate limited', limit: `${maxRps} requests per second` })
// As long as one window: by then the oldest request admitted in it has left.
const RETRY_AFTER_S = String(Math.ceil((limits.publisher?.windowMs ?? 1000) / 1000))
const startedAt = performance.now()
const templates = Object.fromEntries(SOURCES.map((s) => [s, bodyTemplate(s)])) as Record<Source, readonly string[]>
const calls = zeroes()
const booksServed = zeroes()
const rejected429 = zeroes()
const inFlight = zeroes()
const maxInFlight = zeroes()
// New TCP connections: with keep-alive pools this stays near the pool size; a count that
// grows with the requests means a client is churning sockets.
const connections = zeroes()
const openSockets = Object.fromEntries(SOURCES.map((s) => [s, new Set<Socket>()])) as Record<Source, Set<Socket>>
const peakOpenConnections = zeroes()
const hanging = zeroes()
const abandoned = zeroes()
const outcomes = Object.fromEntries(SOURCES.map((s) => [s, zeroOutcomes()])) as Record<Source, Record<FaultOutcome, number>>
// Sockets of faulty sources that carried at least one request.
const usedSockets = new WeakSet<Socket>()
const BOOK_PATH = /^\/books\/(\d{13})$/
const BATCH_PATH = '/books?'

/** What a book route asks for: one book (`/books/{isbn13}`) or several (`/books?isbn=…&isbn=…`). */
type BookRoute = { readonly kind: 'one'; readonly isbn: string } | { readonly kind: 'batch'; readonly isbns: readonly string[] }

function zeroes(): Record<Source, number> {
  return { publisher: 0, reviews: 0, recommendations: 0 }
}

function zeroOutcomes(): Record<FaultOutcome, number> {
  return Object.fromEntries(FAULT_OUTCOMES.map((o) => [o, 0])) as Record<FaultOutcome, number>
}

function trackSocket(source: Source, socket: Socket): void {
  connections[source]++
  const open = openSockets[source]
  open.add(socket)
  peakOpenConnections[source] = Math.max(peakOpenConnections[source], open.size)
  socket.once('close', () => open.delete(socket))
}

function countsOf(count: (source: Source) => number): Record<Source, number> {
  return Object.fromEntries(SOURCES.map((s) => [s, count(s)])) as Record<Source, number>
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

function sendJson(res: ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function bookRoute(req: IncomingMessage): BookRoute | undefined {
  const url = req.url ?? '/'
  if (req.method !== 'GET') return undefined
  const one = BOOK_PATH.exec(url)
  if (one !== null) return { kind: 'one', isbn: one[1] as string }
  if (url.startsWith(BATCH_PATH)) return { kind: 'batch', isbns: new URLSearchParams(url.slice(BATCH_PATH.length)).getAll('isbn') }
  return undefined
}

/** The books the upstream has: every valid ISBN-13. */
const isKnown = (isbn: string): boolean => /^\d{13}$/.test(isbn) && isbn13CheckDigit(isbn) === isbn[12]

function handle(source: Source, req: IncomingMessage, res: ServerResponse): void {
  const route = bookRoute(req)
  if (route === undefined) return control(req, res)
  // Every book request counts against the quota, a 404 too, as a provider counts them.
  if (limits[source]?.tryAdmit() === false) {
    rejected429[source]++
    usedSockets.add(req.socket)
    return sendJson(res, 429, RATE_LIMITED_BODY, { 'retry-after': RETRY_AFTER_S })
  }
  if (route.kind === 'one') {
    const { isbn } = route
    if (!isKnown(isbn)) return sendJson(res, 404, '{"error":"not found"}')
    return answerCall(source, req, res, 1, () => templates[source].join(isbn))
  }
  if (route.isbns.length === 0) return sendJson(res, 400, '{"error":"isbn parameter required"}')
  const known = [...new Set(route.isbns.filter(isKnown))]
  answerCall(source, req, res, known.length, () =>
    `{"items":{${known.map((isbn) => `"${isbn}":${templates[source].join(isbn)}`).join(',')}}}`)
}

/** One counted call answering `books` ISBNs with `body`, after its latency draw or its fault. */
function answerCall(source: Source, req: IncomingMessage, res: ServerResponse, books: number, body: () => string): void {
  // Only an answer that carries the books serves them (not an injected error, a reset or a hang).
  const served = (): string => {
    booksServed[source] += books
    return body()
  }
  calls[source]++
  inFlight[source]++
  maxInFlight[source] = Math.max(maxInFlight[source], inFlight[source])
  const spec = faults[source]
  if (spec === undefined) {
    // No faults: as before the fault injection, to the byte and the listener.
    const answer = (): void => {
      inFlight[source]--
      if (!res.destroyed) sendJson(res, 200, served())
    }
    const delay = drawDelayMs(latency[source])
    // At 0 ms answer synchronously: even a 0 ms timer would add a loop turn per call.
    if (delay > 0) setTimeout(answer, delay)
    else answer()
    return
  }
  usedSockets.add(req.socket)
  const fault = drawFault(spec, performance.now() - startedAt)
  outcomes[source][fault.outcome]++
  switch (fault.outcome) {
    case 'ok':
      return answerAfter(source, res, drawDelayMs(latency[source]), served)
    case 'slow':
      return answerAfter(source, res, fault.delayMs, served)
    case 'error':
    case 'flap_error':
      return answerAfter(source, res, fault.outcome === 'error' ? drawDelayMs(latency[source]) : 0,
        () => '{"error":"injected fault"}', fault.status)
    case 'flap_reset':
      inFlight[source]--
      // An RST instead of an answer, as a crashing upstream or a dropping proxy sends.
      req.socket.resetAndDestroy()
      return
    case 'hang':
      // Never answered: the call is held until its client gives up and closes the socket.
      hanging[source]++
      res.once('close', () => {
        hanging[source]--
        inFlight[source]--
        abandoned[source]++
      })
      return
  }
}

/** /__stats and /__reset, on the control port (and, as before, on every upstream port). */
function control(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/'
  if (req.method === 'GET' && url === '/__stats') {
    return sendJson(res, 200, JSON.stringify({
      calls, booksServed, rejected429, maxInFlight, connections, latency, faults, maxRps: maxRps ?? null, outcomes, hanging, abandoned,
      openConnections: countsOf((s) => openSockets[s].size),
      peakOpenConnections,
      openNeverUsed: countsOf((s) => (faults[s] === undefined ? 0 : [...openSockets[s]].filter((k) => !usedSockets.has(k)).length))
    }))
  }
  if (req.method === 'POST' && url === '/__reset') {
    for (const s of SOURCES) {
      calls[s] = 0
      booksServed[s] = 0
      rejected429[s] = 0
      connections[s] = 0
      maxInFlight[s] = inFlight[s]
      abandoned[s] = 0
      peakOpenConnections[s] = openSockets[s].size
      outcomes[s] = zeroOutcomes()
    }
    return sendJson(res, 200, '{"reset":true}')
  }
  sendJson(res, 404, '{"error":"no such route"}')
}

/**
 * A faulty source's answer after `delayMs`. A client that leaves first (its timeout, a hedge
 * won elsewhere) releases the call at once: its timer is cleared and it counts as abandoned.
 */
function answerAfter(source: Source, res: ServerResponse, delayMs: number, body: () => string, status = 200): void {
  if (delayMs <= 0) {
    inFlight[source]--
    return sendJson(res, status, body())
  }
  const onClose = (): void => {
    clearTimeout(timer)
    inFlight[source]--
    abandoned[source]++
  }
  const timer = setTimeout(() => {
    res.off('close', onClose)
    inFlight[source]--
    if (!res.destroyed) sendJson(res, status, body())
  }, delayMs)
  res.once('close', onClose)
}

async function listen(source: Source | 'control'): Promise<number> {
  const server = source === 'control' ? createServer(control) : createServer((req, res) => handle(source, req, res))
  if (source !== 'control') server.on('connection', (socket: Socket) => trackSocket(source, socket))
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
process.stdout.write(`${JSON.stringify({ ports, control: await listen('control') })}\n`)
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
