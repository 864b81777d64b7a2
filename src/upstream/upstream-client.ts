import type { Pool } from 'undici'
import type { FetchResult } from '../domain/outcome.js'
import type { SourceName } from '../domain/sources.js'
import { toSection, type SectionShape } from './book-schemas.js'
import { keepAlivePool } from './keep-alive-pool.js'
import { exchangeJson, type ExchangeHandle, type JsonExchange } from './json-exchange.js'
import { parseRetryAfter } from './retry-after.js'
import { startUpstreamSpan, type TraceContext } from '../tracing/trace-context.js'

const ACCEPT_JSON = { accept: 'application/json' } as const

export interface UpstreamClientOptions {
  readonly source: SourceName
  readonly baseUrl: URL
  readonly maxBodyBytes: number
  /** Upper bound of keep-alive sockets to this upstream. */
  readonly connections: number
}


/**
 * One upstream API over one undici keep-alive pool. Each call reports a typed result to its
 * callback exactly once, or never when the caller aborts it through the returned handle.
 */
export class UpstreamClient {
  readonly source: SourceName
  private readonly pool: Pool
  private readonly basePath: string
  private readonly maxBodyBytes: number
  private readonly spanName: string
  private readonly batchSpanName: string

  constructor(options: UpstreamClientOptions) {
    this.source = options.source
    this.maxBodyBytes = options.maxBodyBytes
    this.spanName = `${options.source} upstream`
    this.batchSpanName = `${options.source} batch upstream`
    this.basePath = options.baseUrl.pathname.replace(/\/+$/, '')
    this.pool = keepAlivePool(options.baseUrl.origin, options.connections)
  }

  /** `isbn13` must already be normalized: it becomes part of the upstream path. */
  sendBook(isbn13: string, trace: TraceContext | undefined, done: (result: FetchResult) => void): ExchangeHandle {
    if (!/^\d{13}$/.test(isbn13)) throw new TypeError(`not a normalized ISBN-13: ${isbn13}`)
    return this.getJson(`/books/${isbn13}`, this.source, trace, done)
  }

  /**
   * The optional batch endpoint of the native contract, `GET /books?isbn=a&isbn=b…`, answering
   * `{"items": {"<isbn13>": section}}`. Its `ok` data is the `items` object, for `bookOf`.
   */
  sendBooks(isbn13s: readonly string[], trace: TraceContext | undefined, done: (result: FetchResult) => void): ExchangeHandle {
    for (const isbn13 of isbn13s) if (!/^\d{13}$/.test(isbn13)) throw new TypeError(`not a normalized ISBN-13: ${isbn13}`)
    const query = isbn13s.map((isbn13) => `isbn=${isbn13}`).join('&')
    // Each book may be as large as one answer may be: the limit is per book, not per call.
    return this.getJson(`/books?${query}`, 'batch', trace, done, this.maxBodyBytes * isbn13s.length)
  }

  /** One book's part of a batch answer: its section, `not_found` when absent, `invalid_response` when malformed. */
  bookOf(items: unknown, isbn13: string): FetchResult {
    if (!Object.hasOwn(items as object, isbn13)) return { status: 'not_found' }
    const item = (items as Record<string, unknown>)[isbn13]
    const checked = toSection(this.source, item)
    if (!checked.ok) return { status: 'invalid_response', detail: `${this.source} batch entry for ${isbn13}: ${checked.detail}` }
    return { status: 'ok', data: checked.section }
  }

  /** The query is encoded here, so no caller input can shape the path or add parameters. */
  sendSearch(query: string, limit: number, trace: TraceContext | undefined, done: (result: FetchResult) => void): ExchangeHandle {
    const params = new URLSearchParams({ q: query, limit: String(limit) })
    return this.getJson(`/search?${params.toString()}`, 'search', trace, done)
  }

  private getJson(
    path: string, shape: SectionShape | 'batch', trace: TraceContext | undefined, done: (result: FetchResult) => void, maxBytes = this.maxBodyBytes
  ): ExchangeHandle {
    const span = startUpstreamSpan(trace, shape === 'search' ? 'search upstream' : shape === 'batch' ? this.batchSpanName : this.spanName)
    const exchange = exchangeJson(this.pool, {
      path: this.basePath + path,
      headers: span.traceparent === undefined ? ACCEPT_JSON : { accept: ACCEPT_JSON.accept, traceparent: span.traceparent },
      maxBytes
    }, (answer) => {
      const result = this.resultOf(answer, shape)
      span.end(result.status)
      done(result)
    })
    if (!span.exported) return exchange
    return {
      abort(reason) {
        span.end('aborted')
        exchange.abort(reason)
      }
    }
  }

  private resultOf(answer: JsonExchange, shape: SectionShape | 'batch'): FetchResult {
    switch (answer.kind) {
      case 'json': {
        if (shape === 'batch') {
          const items = (answer.value as { items?: unknown } | null)?.items
          if (typeof items !== 'object' || items === null || Array.isArray(items)) {
            return { status: 'invalid_response', detail: `${this.source} batch answer has no "items" object` }
          }
          return { status: 'ok', data: items }
        }
        const checked = toSection(shape, answer.value)
        if (!checked.ok) return { status: 'invalid_response', detail: `${this.source} ${checked.detail}` }
        return { status: 'ok', data: checked.section }
      }
      case 'unusable':
        return { status: 'invalid_response', detail: `${this.source} ${answer.detail}` }
      case 'failed':
        return { status: 'error', detail: `${this.source} request failed: ${describeNetworkError(answer.error)}` }
      case 'status': {
        // A 404 of the batch endpoint says the route is missing, not that every book is unknown.
        if (answer.statusCode === 404 && shape === 'batch') {
          return { status: 'error', httpStatus: 404, detail: `${this.source} answered 404 to GET /books?isbn=…: it does not serve the batch endpoint (NATIVE_BATCH_MAX)` }
        }
        if (answer.statusCode === 404) return { status: 'not_found' }
        const detail = `${this.source} answered HTTP ${answer.statusCode}`
        const retryAfterMs = parseRetryAfter(answer.headers['retry-after'])
        return retryAfterMs === undefined
          ? { status: 'error', httpStatus: answer.statusCode, detail }
          : { status: 'error', httpStatus: answer.statusCode, detail, retryAfterMs }
      }
    }
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

export function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? code : error.message
  }
  return 'unknown error'
}
