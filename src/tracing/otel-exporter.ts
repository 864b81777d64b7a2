// Types only: erased at compile time, so nothing of OpenTelemetry loads unless
// startOtelTracing runs (OTEL_EXPORTER_OTLP_ENDPOINT set).
import type { Context, Span, Tracer } from '@opentelemetry/api'
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { SpanHandle, TraceContext } from './trace-context.js'

export interface OtelTracingOptions {
  /** OTLP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans are POSTed to `<endpoint>/v1/traces`. */
  readonly endpoint: string
  readonly serviceName: string
  /** Told when a batch of spans could not be exported (collector down, rejected…). */
  readonly onExportError?: (error: Error | undefined) => void
}

export interface RequestAttributes {
  readonly method: string
  /** The matched route pattern (`/books/:isbn`); absent when no route matched. */
  readonly route: string | undefined
  /** The path without its query string. */
  readonly path: string
}

export interface RequestSpan {
  /** The request's trace with the exported span's ids, recording each upstream call as a child span. */
  readonly trace: TraceContext
  /** Ends the span (once; later calls do nothing). `undefined`: the client left before its response. */
  end(statusCode: number | undefined): void
}

export interface OtelTracing {
  /** A SERVER span for one request: child of the caller's span when it sent one. */
  startRequestSpan(trace: TraceContext, request: RequestAttributes): RequestSpan
  /** Flushes the spans still batched and stops the exporter; bounded so a dead collector cannot stall shutdown. */
  shutdown(): Promise<void>
}

const SHUTDOWN_TIMEOUT_MS = 2000
/** `ExportResultCode.SUCCESS` of @opentelemetry/core. */
const EXPORT_SUCCESS = 0
/** Outcomes of an upstream call that are answers, not failures (see domain/outcome). */
const CALL_SUCCEEDED: ReadonlySet<string> = new Set(['ok', 'not_found'])

/**
 * Exports one span per request and one per upstream call with the OpenTelemetry SDK over
 * OTLP/HTTP (JSON), batched. The OTel packages are imported here, dynamically, so the service
 * pays for them only when exporting is configured.
 *
 * The exported spans carry exactly the ids the rest of the service already uses: the request's
 * trace id (the caller's, or the one we started, which every log line carries) and span id,
 * and each upstream call's span id is the one sent to that upstream in `traceparent`.
 */
export async function startOtelTracing(options: OtelTracingOptions): Promise<OtelTracing> {
  const [api, sdk, { OTLPTraceExporter }, resources, semconv] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions')
  ])

  const otlp = new OTLPTraceExporter({ url: tracesUrl(options.endpoint) })
  const exporter: SpanExporter = {
    export: (spans, done) => otlp.export(spans, (result) => {
      if (result.code !== EXPORT_SUCCESS) options.onExportError?.(result.error)
      done(result)
    }),
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush()
  }
  const ids = new SeededIdGenerator(new sdk.RandomIdGenerator())
  const provider = new sdk.BasicTracerProvider({
    resource: resources.defaultResource().merge(
      resources.resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: options.serviceName })),
    idGenerator: ids,
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)]
  })
  // Not registered as the global provider: only our spans, no surprise for other libraries.
  const tracer: Tracer = provider.getTracer('book-aggregator')

  function startChildSpan(parent: Context, name: string): SpanHandle {
    const span = tracer.startSpan(name, {
      kind: api.SpanKind.CLIENT,
      attributes: { 'book_aggregator.source': name.replace(/ upstream$/, '') }
    }, parent)
    let ended = false
    return {
      spanId: span.spanContext().spanId,
      end(outcome) {
        if (ended) return
        ended = true
        span.setAttribute('book_aggregator.outcome', outcome)
        if (!CALL_SUCCEEDED.has(outcome)) span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome })
        span.end()
      }
    }
  }

  return {
    startRequestSpan(trace, request) {
      // The caller's span as a remote parent, so our span joins its trace under it.
      const parent = trace.parentId === undefined
        ? api.ROOT_CONTEXT
        : api.trace.setSpanContext(api.ROOT_CONTEXT, {
          traceId: trace.traceId, spanId: trace.parentId, traceFlags: Number.parseInt(trace.flags, 16), isRemote: true
        })
      const span: Span = ids.seeded(trace, () => tracer.startSpan(
        request.route === undefined ? request.method : `${request.method} ${request.route}`,
        {
          kind: api.SpanKind.SERVER,
          attributes: {
            [semconv.ATTR_HTTP_REQUEST_METHOD]: request.method,
            [semconv.ATTR_URL_PATH]: request.path,
            ...(request.route === undefined ? {} : { [semconv.ATTR_HTTP_ROUTE]: request.route })
          }
        },
        parent))
      const own = span.spanContext()
      const context = api.trace.setSpan(api.ROOT_CONTEXT, span)
      let ended = false
      return {
        trace: {
          traceId: own.traceId,
          parentId: trace.parentId,
          spanId: own.spanId,
          flags: own.traceFlags.toString(16).padStart(2, '0'),
          startChildSpan: (name) => startChildSpan(context, name)
        },
        end(statusCode) {
          if (ended) return
          ended = true
          if (statusCode === undefined) {
            span.setAttribute('book_aggregator.client_closed', true)
          } else {
            span.setAttribute(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode)
            if (statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR })
          }
          span.end()
        }
      }
    },

    async shutdown() {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS)
        timer.unref()
      })
      try {
        // A failed final export was already reported by the exporter wrapper above.
        await Promise.race([provider.shutdown().catch(() => undefined), timeout])
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/**
 * The OTLP spec's rule for OTEL_EXPORTER_OTLP_ENDPOINT: a base URL to which the signal's
 * path is appended (`http://collector:4318` → `http://collector:4318/v1/traces`).
 */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`
  return url.href
}

/**
 * Random ids, except while `seeded` starts a request span: then the span takes the request's
 * span id and, when it starts the trace, the request's trace id. That id was already bound to
 * the request's log lines before any hook ran, so logs and exported spans agree. `startSpan`
 * is synchronous, so the seed cannot leak into another span.
 */
class SeededIdGenerator implements IdGenerator {
  private seed: TraceContext | undefined

  constructor(private readonly random: IdGenerator) {}

  seeded<T>(trace: TraceContext, start: () => T): T {
    this.seed = trace
    try {
      return start()
    } finally {
      this.seed = undefined
    }
  }

  generateTraceId(): string {
    return this.seed?.traceId ?? this.random.generateTraceId()
  }

  generateSpanId(): string {
    return this.seed?.spanId ?? this.random.generateSpanId()
  }
}
