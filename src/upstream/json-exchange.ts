import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

export interface JsonRequest {
  /** GET unless said otherwise; POST carries `body` (a GraphQL document, say). */
  readonly method?: 'GET' | 'POST'
  readonly body?: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** A body announced or streamed larger than this is cut off, never held. */
  readonly maxBytes: number
}

export type JsonExchange =
  /** A 200 whose body parsed as JSON. */
  | { readonly kind: 'json'; readonly value: unknown }
  /**
   * Any other status. Its body was read to the end, so the socket stays reusable, and only its
   * first `ERROR_BODY_KEPT_BYTES` are kept as text: an error page may be HTML, JSON or nothing,
   * and whoever reads it must not assume which (a provider's quota answer is told apart by it).
   */
  | { readonly kind: 'status'; readonly statusCode: number; readonly headers: IncomingHttpHeaders; readonly bodyText?: string }
  /** A 200 with a body we would not use: too large, or not JSON. */
  | { readonly kind: 'unusable'; readonly detail: string }
  /** The connection failed (refused, reset, closed mid-body…). */
  | { readonly kind: 'failed'; readonly error: Error }

/** Stops an exchange that is no longer wanted; its `done` is then never called. */
export interface ExchangeHandle {
  abort(reason: Error): void
}

/** How much of a non-200 body is kept for the caller to look at. */
export const ERROR_BODY_KEPT_BYTES = 4096

type Controller = Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestStart']>>[0]

/**
 * One request (a GET, or a POST with a body) through undici's dispatch API, straight into a JSON value: no response stream, no
 * promise, no signal, just callbacks, because this runs three times for every request and
 * each of those costs more than the bytes it carries. `done` is called once with what
 * happened, unless the caller aborts first (the caller, who owns the timers, knows why).
 */
export function exchangeJson(dispatcher: Dispatcher, request: JsonRequest, done: (answer: JsonExchange) => void): ExchangeHandle {
  const exchange = new Exchange(request.maxBytes, done)
  dispatcher.dispatch({ method: request.method ?? 'GET', path: request.path, headers: request.headers, body: request.body ?? null }, exchange)
  return exchange
}

/**
 * undici's handler for one exchange and the caller's handle on it, in one object: its state in
 * fields and its callbacks on the prototype, instead of a closure per callback and per request.
 */
class Exchange implements Dispatcher.DispatchHandler, ExchangeHandle {
  private controller: Controller | undefined
  private settled = false
  private abortReason: Error | undefined
  private statusCode = 0
  private headers: IncomingHttpHeaders = {}
  private size = 0
  private readonly chunks: Buffer[] = []

  constructor(private readonly maxBytes: number, private readonly done: (answer: JsonExchange) => void) {}

  abort(reason: Error): void {
    if (this.settled) return
    this.settled = true
    this.abortReason = reason
    this.controller?.abort(reason)
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller
    if (this.abortReason !== undefined) controller.abort(this.abortReason)
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.statusCode = statusCode
    this.headers = headers as IncomingHttpHeaders
    const announced = Number(headers['content-length'])
    if (announced > this.maxBytes) this.tooLarge(`body of ${announced} bytes exceeds the ${this.maxBytes}-byte limit`)
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    if (this.settled) return
    this.size += chunk.length
    if (this.size > this.maxBytes) {
      this.tooLarge(`body exceeds the ${this.maxBytes}-byte limit`)
      return
    }
    // Only a 200's body is used whole; others are read to the end to keep the socket, their start kept.
    if (this.statusCode === 200 || this.size - chunk.length < ERROR_BODY_KEPT_BYTES) this.chunks.push(chunk)
  }

  onResponseEnd(): void {
    const { statusCode, headers, chunks } = this
    if (statusCode !== 200) {
      const bodyText = chunks.length === 0 ? undefined : Buffer.concat(chunks).subarray(0, ERROR_BODY_KEPT_BYTES).toString('utf8')
      this.finish(bodyText === undefined ? { kind: 'status', statusCode, headers } : { kind: 'status', statusCode, headers, bodyText })
      return
    }
    const raw = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, this.size)
    let value: unknown
    try {
      value = JSON.parse(raw.toString('utf8'))
    } catch {
      this.finish({ kind: 'unusable', detail: 'body is not valid JSON' })
      return
    }
    this.finish({ kind: 'json', value })
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.finish({ kind: 'failed', error })
  }

  private finish(outcome: JsonExchange): void {
    if (this.settled) return
    this.settled = true
    // The flight keeps this handle until its request ends; what undici handed us (its controller
    // holds the raw header buffers) and the body's chunks need not live that long.
    this.controller = undefined
    this.chunks.length = 0
    this.done(outcome)
  }

  private tooLarge(detail: string): void {
    const { statusCode, headers, controller } = this
    this.finish(statusCode === 200 ? { kind: 'unusable', detail } : { kind: 'status', statusCode, headers })
    controller?.abort(BODY_TOO_LARGE)
  }
}

// One reason for every body we cut off; the exchange has already settled when it is used.
const BODY_TOO_LARGE = new Error('upstream body too large')
