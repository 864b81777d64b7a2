import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { startRig, type TestRig } from '../helpers/test-app.js'

/**
 * Hostile clients over raw sockets: slowloris headers and bodies are cut off by the server's
 * timeouts, oversized headers and bodies are refused with the right status, malformed
 * requests get a 400, and many idle keep-alive connections do not stop the service.
 */

const HEADERS_TIMEOUT_MS = 1000
const REQUEST_TIMEOUT_MS = 2000
const IDLE_TIMEOUT_MS = 5000
// CI is noisy; Node checks header/request deadlines periodically, not to the millisecond.
const MARGIN_MS = 1500

let rig: TestRig
let port: number
const sockets = new Set<Socket>()

beforeAll(async () => {
  rig = await startRig({}, {
    RATE_LIMIT_MAX: '0',
    CLIENT_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    CLIENT_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    CLIENT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS)
  })
  const address = await rig.app.listen({ host: '127.0.0.1', port: 0 })
  port = Number(new URL(address).port)
})

afterEach(() => {
  for (const socket of sockets) socket.destroy()
  sockets.clear()
})

afterAll(async () => {
  await rig?.close()
})

interface RawConnection {
  readonly socket: Socket
  /** Everything the server sent so far. */
  received(): string
  /** Resolves once the server has closed (or reset) the connection, with the time it took. */
  readonly closed: Promise<{ afterMs: number }>
}

/** A raw TCP client; destroyed after each test whatever happens. */
async function open(): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1')
  sockets.add(socket)
  socket.on('error', () => undefined)
  let data = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => { data += chunk })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const started = performance.now()
  const closed = new Promise<{ afterMs: number }>((resolve) => {
    socket.once('close', () => resolve({ afterMs: performance.now() - started }))
  })
  return { socket, received: () => data, closed }
}

/** The status, headers and body of the first HTTP response in `raw`. */
function parseResponse(raw: string): { statusCode: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n')
  expect(end, `no complete response head in ${JSON.stringify(raw.slice(0, 200))}`).toBeGreaterThan(0)
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? 0)
  const body = Buffer.from(raw.slice(end + 4), 'latin1').subarray(0, length).toString('utf8')
  return { statusCode: Number(statusLine?.split(' ')[1]), headers, body }
}

function expectProblem(res: { statusCode: number; headers: Record<string, string>; body: string }, status: number): void {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(JSON.parse(res.body)).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) })
}

/** A normal request on a fresh connection is still served, and quickly. */
async function expectStillServing(maxMs = 1000): Promise<void> {
  const agent = new Agent()
  try {
    const started = performance.now()
    const res = await request(`http://127.0.0.1:${port}/healthz`, { dispatcher: agent })
    expect(res.statusCode).toBe(200)
    expect(await res.body.json()).toEqual({ status: 'ok' })
    expect(performance.now() - started).toBeLessThan(maxMs)
  } finally {
    await agent.close()
  }
}

/** How long the server took to close the connection; fails (rather than hangs) past `limitMs`. */
async function closedWithin(conn: RawConnection, limitMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not close the connection within ${limitMs} ms`)), limitMs + 500)
  })
  try {
    return (await Promise.race([conn.closed, late])).afterMs
  } finally {
    clearTimeout(timer)
  }
}

/** Writes `text` one byte every `everyMs` until the socket closes (or the text runs out). */
function dribble(socket: Socket, text: string, everyMs: number): () => void {
  let at = 0
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || at >= text.length) return clearInterval(timer)
    socket.write(text[at++] as string)
  }, everyMs)
  socket.once('close', () => clearInterval(timer))
  return () => clearInterval(timer)
}

describe('slow clients', () => {
  it('slowloris: headers sent one byte every 500 ms are cut off by the headers timeout (408)', async () => {
    const conn = await open()
    conn.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n')
    const stop = dribble(conn.socket, 'X-Slow: ' + 'a'.repeat(1000), 500)
    const afterMs = await closedWithin(conn, HEADERS_TIMEOUT_MS + MARGIN_MS)
    stop()
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50)
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + MARGIN_MS)
    expectProblem(parseResponse(conn.received()), 408)
    await expectStillServing()
  })

  it('slow body: a batch body sent one byte every 500 ms is cut off by the request timeout (408)', async () => {
    const conn = await open()
    conn.socket.write('POST /books/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n')
    const stop = dribble(conn.socket, '{"isbns":["' + '9'.repeat(985) + '"]}', 500)
    const afterMs = await closedWithin(conn, REQUEST_TIMEOUT_MS + MARGIN_MS)
    stop()
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50)
    expect(afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS)
    expectProblem(parseResponse(conn.received()), 408)
    // The handler never ran: nothing reached an upstream.
    expect(rig.upstreamRequestCount()).toBe(0)
    await expectStillServing()
  })
})

describe('oversized requests', () => {
  it('a 64 KiB header is refused with a problem+json 431 and the connection closed', async () => {
    const conn = await open()
    conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`)
    await conn.closed
    expectProblem(parseResponse(conn.received()), 431)
    await expectStillServing()
  })

  it('a 2 MiB batch body with Content-Length is refused with a problem+json 413', async () => {
    const conn = await open()
    const body = JSON.stringify({ isbns: Array(2 * 1024 * 1024 / 16).fill('9780441013593') }).padEnd(2 * 1024 * 1024, ' ')
    conn.socket.write(`POST /books/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`)
    conn.socket.write(body)
    const res = await waitForResponse(conn)
    expectProblem(res, 413)
    expectMatchesContract('/books/batch', 'POST', res)
    expect(rig.upstreamRequestCount()).toBe(0)
    await expectStillServing()
  })

  it('a 2 MiB chunked batch body (no Content-Length) is refused with a problem+json 413 while streaming', async () => {
    const conn = await open()
    conn.socket.write('POST /books/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')
    const chunk = 'a'.repeat(64 * 1024)
    // Like a real client, stop sending once the answer has come: bytes still arriving after
    // the server has answered and closed make its kernel reset the connection, and a reset
    // can drop the 413 from our receive buffer before it is read (a flake seen on a busy machine).
    const answered = (): boolean => conn.received().length > 0
    for (let i = 0; i < 32 && conn.socket.writable && !answered(); i++) {
      conn.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
      const waitUntilMs = performance.now() + 20
      while (!answered() && performance.now() < waitUntilMs) await sleep(1)
    }
    if (conn.socket.writable && !answered()) conn.socket.write('0\r\n\r\n')
    const res = await waitForResponse(conn)
    expectProblem(res, 413)
    expectMatchesContract('/books/batch', 'POST', res)
    await expectStillServing()
  })
})

describe('malformed requests', () => {
  it.each([
    ['garbage request line', 'HELLO THERE\r\n\r\n'],
    ['unknown HTTP version', 'GET /healthz HTTP/7.1\r\nHost: localhost\r\n\r\n'],
    ['space in the target', 'GET /he althz HTTP/1.1\r\nHost: localhost\r\n\r\n'],
    ['NUL in the target', 'GET /healthz\u0000 HTTP/1.1\r\nHost: localhost\r\n\r\n'],
    ['header without a colon', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nBroken header\r\n\r\n'],
    ['a bare CR inside a header value', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n'],
    ['Content-Length and Transfer-Encoding together (smuggling)', 'POST /books/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'POST /books/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n{}{}'],
    ['a negative Content-Length', 'POST /books/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n']
  ])('%s → problem+json 400, connection closed, the server keeps serving', async (_name, raw) => {
    const conn = await open()
    conn.socket.write(raw)
    await conn.closed
    expectProblem(parseResponse(conn.received()), 400)
    await expectStillServing()
  })
})

describe('many idle keep-alive connections', () => {
  it('500 idle keep-alive connections do not stop a normal request from being served quickly, and leave no handles behind', async () => {
    const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
    const before = tcpHandles()
    const conns = await Promise.all(Array.from({ length: 500 }, () => open()))
    // Each makes one request and then keeps its connection open, idle.
    for (const conn of conns) conn.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await waitUntil(() => conns.every((c) => c.received().includes('\r\n\r\n{"status":"ok"}')), 5000)
    expect(await connectionCount()).toBeGreaterThanOrEqual(500)

    await expectStillServing(1000)
    const agent = new Agent()
    try {
      const started = performance.now()
      const res = await request(`http://127.0.0.1:${port}/books/9780441013593`, { dispatcher: agent })
      expect(res.statusCode).toBe(200)
      await res.body.dump()
      expect(performance.now() - started).toBeLessThan(1000)
    } finally {
      await agent.close()
    }

    // Both ends of each connection live in this process: about two handles per connection, no more.
    expect(tcpHandles() - before).toBeLessThan(2 * 500 + 20)
    for (const conn of conns) conn.socket.destroy()
    await Promise.all(conns.map((c) => c.closed))
    await waitUntil(async () => (await connectionCount()) === 0, 2000)
    await waitUntil(() => tcpHandles() <= before + 5, 2000)
  })
})

async function waitForResponse(conn: RawConnection, timeoutMs = 5000): Promise<ReturnType<typeof parseResponse>> {
  await waitUntil(() => {
    const raw = conn.received()
    const end = raw.indexOf('\r\n\r\n')
    if (end < 0) return false
    const length = /content-length: *(\d+)/i.exec(raw.slice(0, end))?.[1]
    return length !== undefined && Buffer.byteLength(raw.slice(end + 4), 'latin1') >= Number(length)
  }, timeoutMs)
  return parseResponse(conn.received())
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(10)
  }
}

function connectionCount(): Promise<number> {
  return new Promise((resolve, reject) => rig.app.server.getConnections((error, count) => error ? reject(error) : resolve(count)))
}
