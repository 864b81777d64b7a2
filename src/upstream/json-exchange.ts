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
  const { maxBytes } = request
  let controller: Controller | undefined
  let settled = false
  let abortReason: Error | undefined
  let statusCode = 0
  let headers: IncomingHttpHeaders = {}
  let size = 0
  const chunks: Buffer[] = []

  const finish = (outcome: JsonExchange): void => {
    if (settled) return
    settled = true
    done(outcome)
  }
  const tooLarge = (detail: string): void => {
    finish(statusCode === 200 ? { kind: 'unusable', detail } : { kind: 'status', statusCode, headers })
    controller?.abort(BODY_TOO_LARGE)
  }

  const errorBodyText = (): string | undefined => {
    if (chunks.length === 0) return undefined
    return Buffer.concat(chunks).subarray(0, ERROR_BODY_KEPT_BYTES).toString('utf8')
  }

  dispatcher.dispatch({ method: request.method ?? 'GET', path: request.path, headers: request.headers, body: request.body ?? null }, {
    onRequestStart(requestController) {
      controller = requestController
      if (abortReason !== undefined) requestController.abort(abortReason)
    },
    onResponseStart(_controller, status, responseHeaders) {
      statusCode = status
      headers = responseHeaders as IncomingHttpHeaders
      const announced = Number(headers['content-length'])
      if (announced > maxBytes) tooLarge(`body of ${announced} bytes exceeds the ${maxBytes}-byte limit`)
    },
    onResponseData(_controller, chunk) {
      if (settled) return
      size += chunk.length
      if (size > maxBytes) {
        tooLarge(`body exceeds the ${maxBytes}-byte limit`)
        return
      }
      // Only a 200's body is used whole; others are read to the end to keep the socket, their start kept.
      if (statusCode === 200 || size - chunk.length < ERROR_BODY_KEPT_BYTES) chunks.push(chunk)
    },
    onResponseEnd() {
      if (statusCode !== 200) {
        const bodyText = errorBodyText()
        finish(bodyText === undefined ? { kind: 'status', statusCode, headers } : { kind: 'status', statusCode, headers, bodyText })
        return
      }
      const raw = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)
      let value: unknown
      try {
        value = JSON.parse(raw.toString('utf8'))
      } catch {
        finish({ kind: 'unusable', detail: 'body is not valid JSON' })
        return
      }
      finish({ kind: 'json', value })
    },
    onResponseError(_controller, error) {
      finish({ kind: 'failed', error })
    }
  })
  return {
    abort(reason) {
      if (settled) return
      settled = true
      abortReason = reason
      controller?.abort(reason)
    }
  }
}

// One reason for every body we cut off; the exchange has already settled when it is used.
const BODY_TOO_LARGE = new Error('upstream body too large')
