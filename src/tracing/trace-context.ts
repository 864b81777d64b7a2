import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'

/** W3C Trace Context of one incoming request (https://www.w3.org/TR/trace-context/). */
export interface TraceContext {
  readonly traceId: string
  /** The caller's span (absent when we started the trace). */
  readonly parentId: string | undefined
  /** Our span for this request. */
  readonly spanId: string
  readonly flags: string
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const INVALID_TRACE = '0'.repeat(32)
const INVALID_SPAN = '0'.repeat(16)

export const newSpanId = (): string => randomBytes(8).toString('hex')

/** Continues the caller's trace when its `traceparent` is valid, else starts a new one. */
export function traceFromHeader(header: string | string[] | undefined): TraceContext {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim().toLowerCase()) : null
  if (match !== null && match[1] !== INVALID_TRACE && match[2] !== INVALID_SPAN) {
    return { traceId: match[1] as string, parentId: match[2], spanId: newSpanId(), flags: match[3] as string }
  }
  return { traceId: randomBytes(16).toString('hex'), parentId: undefined, spanId: newSpanId(), flags: '01' }
}

/** Carries the request's trace through every await down to the upstream clients. */
export const traceStorage = new AsyncLocalStorage<TraceContext>()

/**
 * The `traceparent` for one upstream call: the request's trace, a fresh span id, so the
 * upstream's spans hang under this call. `undefined` outside a request (background refresh
 * started by a request keeps that request's trace).
 */
export function outgoingTraceparent(spanId: string = newSpanId()): string | undefined {
  const trace = traceStorage.getStore()
  return trace === undefined ? undefined : `00-${trace.traceId}-${spanId}-${trace.flags}`
}
