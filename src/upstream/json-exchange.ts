import { hash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

export interface JsonRequest {
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly signal: AbortSignal
  /** A body announced or streamed larger than this is cut off, never held. */
  readonly maxBytes: number
}

export type JsonExchange =
  /** A 200 whose body parsed as JSON. */
  | { readonly kind: 'json'; readonly value: unknown; readonly digest: string }
  /** Any other status; its body was read and dropped, so the socket stays reusable. */
  | { readonly kind: 'status'; readonly statusCode: number; readonly headers: IncomingHttpHeaders }
  /** A 200 with a body we would not use: too large, or not JSON. */
  | { readonly kind: 'unusable'; readonly detail: string }
  /** The connection failed (refused, reset, closed mid-body…). */
  | { readonly kind: 'failed'; readonly error: Error }

type Controller = Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestStart']>>[0]

/**
 * One GET through undici's dispatch API, straight into a JSON value: no response stream, no
 * async resource, no body iterator, just callbacks, because this runs three times for every
 * request and a stream costs more than the bytes it carries. Resolves with what happened,
 * and rejects only with the signal's reason when the signal aborts, so the caller (who owns
 * the timers) can tell a timeout from a client that left.
 */
export function exchangeJson(dispatcher: Dispatcher, request: JsonRequest): Promise<JsonExchange> {
  const { signal, maxBytes } = request
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<JsonExchange>((resolve, reject) => {
    let controller: Controller | undefined
    let settled = false
    let statusCode = 0
    let headers: IncomingHttpHeaders = {}
    let size = 0
    const chunks: Buffer[] = []

    const finish = (outcome: JsonExchange | { reject: unknown }): void => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      if ('reject' in outcome) reject(outcome.reject)
      else resolve(outcome)
    }
    const tooLarge = (detail: string): void => {
      finish(statusCode === 200 ? { kind: 'unusable', detail } : { kind: 'status', statusCode, headers })
      controller?.abort(BODY_TOO_LARGE)
    }
    const onAbort = (): void => {
      finish({ reject: signal.reason })
      controller?.abort(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })

    dispatcher.dispatch({ method: 'GET', path: request.path, headers: request.headers }, {
      onRequestStart(requestController) {
        controller = requestController
        if (settled) requestController.abort(signal.reason)
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
        // Only a 200's body is used; others are read to the end to keep the socket, and dropped.
        if (statusCode === 200) chunks.push(chunk)
      },
      onResponseEnd() {
        if (statusCode !== 200) {
          finish({ kind: 'status', statusCode, headers })
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
        finish({ kind: 'json', value, digest: hash('sha1', raw, 'base64url') })
      },
      onResponseError(_controller, error) {
        finish(signal.aborted ? { reject: signal.reason } : { kind: 'failed', error })
      }
    })
  })
}

// One reason for every body we cut off; the exchange has already settled when it is used.
const BODY_TOO_LARGE = new Error('upstream body too large')
