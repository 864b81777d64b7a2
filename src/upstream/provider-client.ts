import type { IncomingHttpHeaders } from 'node:http'
import type { Pool } from 'undici'
import type { FetchResult } from '../domain/outcome.js'
import { startUpstreamSpan, type TraceContext } from '../tracing/trace-context.js'
import { exchangeJson, type ExchangeHandle, type JsonExchange } from './json-exchange.js'
import { keepAlivePool } from './keep-alive-pool.js'
import { MicroBatcher, type MicroBatchOptions } from './micro-batcher.js'
import { parseRetryAfter } from './retry-after.js'
import { describeNetworkError } from './upstream-client.js'
import type { UpstreamHost } from './upstream-host.js'

/** What a provider request came to: its JSON, a redirect, or why there is neither. */
export type ProviderReply =
  /** `batched`: the request was a batch call carrying this many keys (see `batchLoader`). */
  | { readonly status: 'json'; readonly value: unknown; readonly batched?: number }
  | { readonly status: 'redirect'; readonly location: string }
  | Exclude<FetchResult, { readonly status: 'ok' }>

/** A non-200 answer, for a provider to read in its own way (quota answers, a refused User-Agent). */
export interface StatusAnswer {
  readonly statusCode: number
  readonly headers: IncomingHttpHeaders
  /** The start of the body as text; HTML, JSON or absent: never assume which. */
  readonly bodyText: string | undefined
}

export interface ProviderClientOptions {
  /** The provider's name, in details and logs. */
  readonly name: string
  readonly baseUrl: URL
  readonly maxBodyBytes: number
  /** Upper bound of keep-alive sockets to this host. */
  readonly connections: number
  /** Sent with every request: User-Agent, Authorization… Never logged, never part of a detail. */
  readonly headers: Readonly<Record<string, string>>
  /** Added to every GET's query (Google's `key`); never part of a detail either. */
  readonly query?: Readonly<Record<string, string>>
  /** A provider's own reading of a non-200; `undefined` leaves it to the common rules. */
  readonly classify?: (answer: StatusAnswer) => FetchResult | undefined
  /** Redirects followed per request (only to the same origin). */
  readonly maxRedirects?: number
}

/** One request for many keys: a GET of a path (relative to the base URL, encoded) or a POST of a JSON body to the base URL. */
export type BatchRequest = { readonly method: 'GET'; readonly path: string } | { readonly method: 'POST'; readonly body: unknown }

/** Looks one key up through a batch call; the reply is the whole call's, for the adapter to find its key in. */
export type BatchLoad = (key: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext) => Promise<ProviderReply>

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const DEFAULT_MAX_REDIRECTS = 2

/**
 * The JSON client of one provider host: one undici Pool, the provider's headers and key, and
 * every request through the host's policies (coalesced by method and path, rate budget,
 * breaker, bulkhead, retry, hedge). Answers are not mapped here: adapters do that.
 * Redirects are followed hop by hop, each hop a request of its own against the budget, and
 * only to the provider's own origin: a redirect elsewhere would carry its headers (a bearer
 * token, a contact) to a host nobody configured.
 */
export class ProviderClient {
  private readonly pool: Pool
  private readonly basePath: string
  private readonly query: string

  constructor(private readonly options: ProviderClientOptions, readonly host: UpstreamHost) {
    this.basePath = options.baseUrl.pathname.replace(/\/+$/, '')
    this.query = options.query === undefined ? '' : new URLSearchParams(options.query).toString()
    this.pool = keepAlivePool(options.baseUrl.origin, options.connections)
  }

  get name(): string {
    return this.options.name
  }

  /**
   * GET `path` (relative to the base URL, already encoded), following same-origin redirects.
   * `startBy`: see UpstreamHost.call (for the first request of a chain; its hops are continuations).
   */
  async get(path: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext, startBy?: number): Promise<ProviderReply> {
    const limit = this.options.maxRedirects ?? DEFAULT_MAX_REDIRECTS
    let target = this.basePath + path
    for (let hop = 0; ; hop++) {
      const reply = await this.request('GET', this.withQuery(target), undefined, signal, deadlineAt, trace, undefined, hop === 0 ? startBy : undefined)
      if (reply.status !== 'redirect') return reply
      if (hop === limit) return { status: 'error', detail: `${this.name} redirected more than ${limit} times; not followed` }
      const next = new URL(reply.location, this.options.baseUrl)
      if (next.origin !== this.options.baseUrl.origin) {
        return { status: 'error', detail: `${this.name} redirected to another host (${next.host}); not followed` }
      }
      target = next.pathname + next.search
    }
  }

  /** POST a JSON body to the base URL itself (a GraphQL endpoint); `key` names it for coalescing. */
  post(body: unknown, key: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<ProviderReply> {
    return this.request('POST', this.basePath || '/', JSON.stringify(body), signal, deadlineAt, trace, key)
  }

  /**
   * Lookups through one endpoint that takes many keys a request (`requestOf`), batched on this
   * host (MicroBatcher): concurrent keys share a call, which the host's policies count once.
   * Every caller gets the whole reply and reads its own key's part; one the reply lacks is that
   * caller's `not_found` alone. Redirects are not followed: batch endpoints answer directly.
   */
  batchLoader(endpoint: string, options: MicroBatchOptions, requestOf: (keys: readonly string[]) => BatchRequest): BatchLoad {
    const batcher = new MicroBatcher(this.host, {
      name: endpoint,
      send: (keys, trace, done) => {
        const request = requestOf(keys)
        return request.method === 'GET'
          ? this.send('GET', this.withQuery(this.basePath + request.path), undefined, trace, done)
          : this.send('POST', this.basePath || '/', JSON.stringify(request.body), trace, done)
      },
      split: (data) => ({ status: 'ok', data })
    }, options, this.host.observer)
    return (key, signal, deadlineAt, trace) => batcher.load(key, signal, deadlineAt, trace).then(replyOf)
  }

  close(): Promise<void> {
    return this.pool.close()
  }

  private withQuery(target: string): string {
    if (this.query === '') return target
    return target + (target.includes('?') ? '&' : '?') + this.query
  }

  private async request(
    method: 'GET' | 'POST', path: string, body: string | undefined, signal: AbortSignal, deadlineAt: number,
    trace: TraceContext | undefined, key = path, startBy = deadlineAt
  ): Promise<ProviderReply> {
    return replyOf(await this.host.call(`${method} ${key}`, signal, deadlineAt, (done) => this.send(method, path, body, trace, done), startBy))
  }

  private send(method: 'GET' | 'POST', path: string, body: string | undefined, trace: TraceContext | undefined, done: (result: FetchResult) => void): ExchangeHandle {
    const span = startUpstreamSpan(trace, `${this.name} upstream`)
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (span.traceparent !== undefined) headers.traceparent = span.traceparent
    const exchange = exchangeJson(this.pool, { method, path, headers, maxBytes: this.options.maxBodyBytes, ...(body === undefined ? {} : { body }) }, (answer) => {
      const outcome = this.resultOf(answer)
      span.end(outcome.status)
      done(outcome)
    })
    return {
      abort(reason) {
        span.end('aborted')
        exchange.abort(reason)
      }
    }
  }

  /** The flight sees `ok` for any answer worth using (a redirect too); the reply rides in `data`. */
  private resultOf(answer: JsonExchange): FetchResult {
    const { name } = this
    switch (answer.kind) {
      case 'json':
        return { status: 'ok', data: { status: 'json', value: answer.value } satisfies ProviderReply }
      case 'unusable':
        return { status: 'invalid_response', detail: `${name} ${answer.detail}` }
      case 'failed':
        return { status: 'error', detail: `${name} request failed: ${describeNetworkError(answer.error)}` }
      case 'status': {
        const location = answer.headers.location
        if (REDIRECTS.has(answer.statusCode) && typeof location === 'string') {
          return { status: 'ok', data: { status: 'redirect', location } satisfies ProviderReply }
        }
        const own = this.options.classify?.({ statusCode: answer.statusCode, headers: answer.headers, bodyText: answer.bodyText })
        return own ?? commonStatusResult(name, answer.statusCode, answer.headers)
      }
    }
  }
}

/** The flight's result as the adapter's reply; a batch call's size rides along. */
function replyOf(result: FetchResult): ProviderReply {
  if (result.status !== 'ok') return result
  const reply = result.data as ProviderReply
  return result.batched !== undefined && reply.status === 'json' ? { ...reply, batched: result.batched } : reply
}

/** 404 is "nothing here", 429 is "slow down" (for the whole host: see UpstreamFlight), the rest an error. */
export function commonStatusResult(name: string, statusCode: number, headers: IncomingHttpHeaders): FetchResult {
  const retryAfterMs = parseRetryAfter(headers['retry-after'])
  const wait = retryAfterMs === undefined ? {} : { retryAfterMs }
  if (statusCode === 404) return { status: 'not_found', detail: `${name} has no such record (404)` }
  if (statusCode === 429) {
    const pause = retryAfterMs === undefined ? '' : `; pausing it for ${Math.ceil(retryAfterMs / 1000)} s`
    return { status: 'rate_limited', httpStatus: 429, detail: `${name} answered 429 (too many requests)${pause}`, ...wait }
  }
  return { status: 'error', httpStatus: statusCode, detail: `${name} answered HTTP ${statusCode}`, ...wait }
}
