import { createServer, type IncomingHttpHeaders } from 'node:http'
import { listenOnLoopback } from './loopback-server.js'

/** One answer of a fake provider; a non-string body is sent as JSON. */
export interface ProviderAnswer {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface ProviderRequest {
  readonly method: string
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** `performance.now()` when the request had arrived whole. */
  readonly receivedAt: number
}

/** What the provider makes of one request: its kind (counted) and its answer. */
export interface RoutedRequest<Kind extends string> {
  readonly kind: Kind
  readonly answer: ProviderAnswer
}

export interface RateLimit {
  /** Requests answered per window; later ones get the provider's 429. */
  readonly limit: number
  readonly windowMs: number
}

export interface ProviderServerOptions {
  /** Delay before every answer. */
  readonly latencyMs?: number
  readonly rateLimit?: RateLimit
}

export interface FakeProvider<Kind extends string> {
  readonly url: string
  /** Requests received per kind, rate-limited and refused ones included. */
  readonly calls: Readonly<Record<Kind, number>>
  readonly requests: readonly ProviderRequest[]
  close(): Promise<void>
}

export interface ProviderDefinition<Kind extends string> {
  readonly kinds: readonly Kind[]
  readonly route: (request: ProviderRequest) => RoutedRequest<Kind>
  /** The 429 this provider sends when `rateLimit` is exceeded; `retryAfterSeconds` is what is left of the window. */
  readonly tooManyRequests: (retryAfterSeconds: number) => ProviderAnswer
}

/** A real `node:http` server on loopback port 0 answering as `definition` says. */
export async function startProviderServer<Kind extends string>(
  definition: ProviderDefinition<Kind>, options: ProviderServerOptions = {}
): Promise<FakeProvider<Kind>> {
  const calls = Object.fromEntries(definition.kinds.map((kind) => [kind, 0])) as Record<Kind, number>
  const requests: ProviderRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  let windowStart = Date.now()
  let inWindow = 0

  const limited = (): number | undefined => {
    const { rateLimit } = options
    if (rateLimit === undefined) return undefined
    const now = Date.now()
    if (now - windowStart >= rateLimit.windowMs) {
      windowStart = now
      inWindow = 0
    }
    inWindow++
    return inWindow > rateLimit.limit ? Math.max(1, Math.ceil((windowStart + rateLimit.windowMs - now) / 1000)) : undefined
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: ProviderRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://fake.invalid'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: performance.now()
      }
      requests.push(request)
      const routed = definition.route(request)
      calls[routed.kind]++
      const retryAfter = limited()
      const answer = retryAfter === undefined ? routed.answer : definition.tooManyRequests(retryAfter)
      const send = (): void => {
        const isText = typeof answer.body === 'string'
        const body = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body)
        res.writeHead(answer.status, {
          'content-type': isText ? 'text/html' : 'application/json',
          'content-length': Buffer.byteLength(body),
          ...answer.headers
        })
        res.end(body)
      }
      if (!options.latencyMs) return send()
      const timer = setTimeout(() => {
        timers.delete(timer)
        send()
      }, options.latencyMs)
      timers.add(timer)
      res.once('close', () => {
        clearTimeout(timer)
        timers.delete(timer)
      })
    })
  })
  const listening = await listenOnLoopback(server)

  return {
    url: listening.url,
    calls,
    requests,
    close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      return listening.close()
    }
  }
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers?: Record<string, string>): ProviderAnswer {
  return { status, body: body === undefined ? null : body, ...(headers === undefined ? {} : { headers }) }
}
