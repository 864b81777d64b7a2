import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { traceFromHeader, traceStorage, type TraceContext } from '../tracing/trace-context.js'

const traces = new WeakMap<IncomingMessage, TraceContext>()

/** The request's trace, parsed once (the logger factory and the hook both ask for it). */
export function traceOf(raw: IncomingMessage): TraceContext {
  let trace = traces.get(raw)
  if (trace === undefined) {
    trace = traceFromHeader(raw.headers.traceparent)
    traces.set(raw, trace)
  }
  return trace
}

/** Runs each request inside its trace context, so upstream calls can forward `traceparent`. */
async function tracing(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', (request, _reply, done) => {
    traceStorage.run(traceOf(request.raw), done)
  })
}

export default fp(tracing, { name: 'tracing' })
