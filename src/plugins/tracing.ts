import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { OtelTracing, RequestSpan } from '../tracing/otel-exporter.js'
import { traceFromHeader, type TraceContext } from '../tracing/trace-context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's W3C trace; routes pass it down to the upstream calls. */
    trace: TraceContext | undefined
  }
}

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

export interface TracingOptions {
  /** Set when spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT): one span per request and per upstream call. */
  readonly otel?: OtelTracing
}

/** Gives each request its trace context, so upstream calls can forward `traceparent`. */
async function tracing(app: FastifyInstance, options: TracingOptions): Promise<void> {
  app.decorateRequest('trace', undefined)
  const otel = options.otel
  if (otel === undefined) {
    app.addHook('onRequest', (request, _reply, done) => {
      request.trace = traceOf(request.raw)
      done()
    })
    return
  }

  const spans = new WeakMap<FastifyRequest, RequestSpan>()
  app.addHook('onRequest', (request, reply, done) => {
    const span = otel.startRequestSpan(traceOf(request.raw), {
      method: request.method,
      route: request.routeOptions.url,
      path: request.url.split('?', 1)[0] as string
    })
    spans.set(request, span)
    // Whichever comes first: onResponse, or the connection closing (a client that left gets
    // no onResponse). The span ends once either way.
    reply.raw.once('close', () => span.end(reply.raw.writableFinished ? reply.statusCode : undefined))
    request.trace = span.trace
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    spans.get(request)?.end(reply.statusCode)
    done()
  })
}

export default fp(tracing, { name: 'tracing' })
