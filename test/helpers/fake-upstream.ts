import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** How a fake upstream answers one request; faults are injected here. */
export type Behaviour =
  | { kind: 'json'; status?: number; body: unknown; delayMs?: number }
  | { kind: 'raw'; status?: number; body: string; delayMs?: number; contentLength?: number; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'reset'; delayMs?: number }
  /** Streams `chunks` chunks of `chunkBytes` each, without a Content-Length. */
  | { kind: 'stream'; chunkBytes: number; chunks: number }

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  /** True once the client closed the request before the fake finished answering. */
  abortedByClient: boolean
  readonly receivedAt: number
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
  const sockets = new Set<Socket>()
  const abortWaiters: Array<() => void> = []
  let inFlight = 0
  let maxInFlight = 0

  const server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? '', url: req.url ?? '', headers: req.headers, abortedByClient: false, receivedAt: Date.now()
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
    play(pick(req), req, res)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
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
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

function play(behaviour: Behaviour, req: IncomingMessage, res: ServerResponse): void {
  const later = (delayMs: number | undefined, fn: () => void): void => {
    if (!delayMs) return fn()
    const timer = setTimeout(fn, delayMs)
    res.once('close', () => clearTimeout(timer))
  }
  switch (behaviour.kind) {
    case 'hang':
      return
    case 'reset':
      return later(behaviour.delayMs, () => req.socket.destroy())
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
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        if (!res.destroyed) res.end()
      }
      return pump()
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
