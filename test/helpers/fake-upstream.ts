import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { listenOnLoopback } from './loopback-server.js'

/**
 * An upstream URL whose connections are refused. A port below 1024 is never handed out as an
 * ephemeral port, so no server started by a concurrent test can take it between the lookup and
 * the call, as one could take the port of a server just closed.
 */
export const REFUSED_URL = 'http://127.0.0.1:1'

/** How a fake upstream answers one request; faults are injected here. */
export type Behaviour =
  | { kind: 'json'; status?: number; body: unknown; delayMs?: number }
  | { kind: 'raw'; status?: number; body: string; delayMs?: number; contentLength?: number; headers?: Record<string, string> }
  | { kind: 'hang' }
  /** Closes the connection before any byte of an answer; `hard` sends a TCP RST instead of a FIN. */
  | { kind: 'reset'; delayMs?: number; hard?: boolean }
  /** Streams `chunks` chunks of `chunkBytes` each, without a Content-Length. */
  | { kind: 'stream'; chunkBytes: number; chunks: number }
  /** Status line and headers only after `headersAfterMs`, then the JSON body after `bodyAfterMs` more. */
  | { kind: 'slowHeaders'; headersAfterMs: number; bodyAfterMs?: number; status?: number; body: unknown }
  /** Headers (with the full Content-Length) at once, then the JSON body one byte every `byteEveryMs`. */
  | { kind: 'dribble'; byteEveryMs: number; body: unknown }
  /**
   * Headers announcing `contentLength` (default: the body's real length), then the first
   * `sendBytes` of the body (default: half), then after `afterMs` (default 20) the connection
   * ends: `reset` (TCP RST) or `close` (an orderly FIN, as if the body were complete).
   */
  | { kind: 'truncate'; body: string; sendBytes?: number; contentLength?: number; end: 'reset' | 'close'; afterMs?: number }

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  /** True once the client closed the request before the fake finished answering. */
  abortedByClient: boolean
  readonly receivedAt: number
  /** Body bytes handed to the socket so far (streaming behaviours count them). */
  bytesSent: number
}

export interface FakeUpstream {
  readonly url: string
  readonly requests: SeenRequest[]
  /** Requests received and not yet finished or closed, right now. */
  readonly inFlight: number
  /** The most requests that were ever in flight at once. */
  readonly maxInFlight: number
  /** Changes the behaviour for later requests. */
  respond(behaviour: Behaviour | ((req: IncomingMessage) => Behaviour)): void
  /** Resolves once `count` requests have been closed by the client. */
  waitForAborts(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A real `node:http` upstream on loopback port 0, recording what it sees. */
export async function startFakeUpstream(initial: Behaviour): Promise<FakeUpstream> {
  let pick: (req: IncomingMessage) => Behaviour = () => initial
  const requests: SeenRequest[] = []
  const abortWaiters: Array<() => void> = []
  let inFlight = 0
  let maxInFlight = 0

  const server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? '', url: req.url ?? '', headers: req.headers, abortedByClient: false, receivedAt: Date.now(), bytesSent: 0
    }
    requests.push(seen)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    let counted = true
    const leave = (): void => {
      if (counted) inFlight--
      counted = false
    }
    // Whichever comes first: the answer handed to the socket, or the connection closing.
    res.once('finish', leave)
    res.once('close', () => {
      leave()
      if (!res.writableFinished) {
        seen.abortedByClient = true
        abortWaiters.forEach((wake) => wake())
      }
    })
    play(pick(req), req, res, seen)
  })
  const listening = await listenOnLoopback(server)

  return {
    url: listening.url,
    requests,
    get inFlight() {
      return inFlight
    },
    get maxInFlight() {
      return maxInFlight
    },
    respond(behaviour) {
      pick = typeof behaviour === 'function' ? behaviour : () => behaviour
    },
    waitForAborts(count, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${requests.filter((r) => r.abortedByClient).length} of ${count} aborts seen`)), timeoutMs)
        const check = (): void => {
          if (requests.filter((r) => r.abortedByClient).length >= count) {
            clearTimeout(timer)
            resolve()
          }
        }
        abortWaiters.push(check)
        check()
      })
    },
    close: () => listening.close()
  }
}

function play(behaviour: Behaviour, req: IncomingMessage, res: ServerResponse, seen: SeenRequest): void {
  const later = (delayMs: number | undefined, fn: () => void): void => {
    if (!delayMs) return fn()
    const timer = setTimeout(fn, delayMs)
    res.once('close', () => clearTimeout(timer))
  }
  switch (behaviour.kind) {
    case 'hang':
      return
    case 'reset':
      return later(behaviour.delayMs, () => behaviour.hard === true ? req.socket.resetAndDestroy() : req.socket.destroy())
    case 'json':
      return later(behaviour.delayMs, () => send(res, behaviour.status ?? 200, JSON.stringify(behaviour.body)))
    case 'raw':
      return later(behaviour.delayMs, () => send(res, behaviour.status ?? 200, behaviour.body, behaviour.contentLength, behaviour.headers))
    case 'stream': {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(behaviour.chunkBytes, 0x20)
      let left = behaviour.chunks
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          left--
          seen.bytesSent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        if (!res.destroyed) res.end()
      }
      return pump()
    }
    case 'slowHeaders':
      return later(behaviour.headersAfterMs, () => {
        const body = JSON.stringify(behaviour.body)
        res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.flushHeaders()
        later(behaviour.bodyAfterMs, () => {
          seen.bytesSent += Buffer.byteLength(body)
          res.end(body)
        })
      })
    case 'dribble': {
      const body = Buffer.from(JSON.stringify(behaviour.body))
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      res.flushHeaders()
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(body.subarray(seen.bytesSent, seen.bytesSent + 1))
        if (++seen.bytesSent === body.length) {
          clearInterval(timer)
          res.end()
        }
      }, behaviour.byteEveryMs)
      res.once('close', () => clearInterval(timer))
      return
    }
    case 'truncate': {
      const body = Buffer.from(behaviour.body)
      const sent = body.subarray(0, behaviour.sendBytes ?? Math.floor(body.length / 2))
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': behaviour.contentLength ?? body.length })
      res.write(sent)
      seen.bytesSent += sent.length
      return later(behaviour.afterMs ?? 20, () => behaviour.end === 'reset' ? req.socket.resetAndDestroy() : req.socket.end())
    }
  }
}

function send(res: ServerResponse, status: number, body: string, contentLength?: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': contentLength ?? Buffer.byteLength(body),
    ...headers
  })
  res.end(body)
}
