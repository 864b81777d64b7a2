import type { IncomingMessage } from 'node:http'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { DestinationStream, Logger } from 'pino'
import { BookAggregator } from './aggregate/book-aggregator.js'
import { BookSearch } from './aggregate/search-books.js'
import { createBookSources } from './book-sources.js'
import type { Config } from './config.js'
import { startDemoUpstreams } from './demo/demo-upstreams.js'
import { BookRepresentations } from './http/book-representations.js'
import { answerClientError } from './http/client-error.js'
import { answerFrameworkError } from './http/framework-error.js'
import { requestIdOf } from './http/request-id.js'
import { lazyChildLogger } from './logging/lazy-child-logger.js'
import apiDocs from './plugins/api-docs.js'
import compression from './plugins/compression.js'
import corsPolicy from './plugins/cors.js'
import demoPage from './plugins/demo-page.js'
import { PrometheusMetrics } from './metrics/prometheus-metrics.js'
import lifecycle from './plugins/lifecycle.js'
import loadShedding from './plugins/load-shedding.js'
import metricsPlugin from './plugins/metrics.js'
import problemDetails from './plugins/problem-details.js'
import rateLimiting from './plugins/rate-limit.js'
import requestLogging from './plugins/request-logging.js'
import responseHeaders from './plugins/response-headers.js'
import tracing, { traceOf } from './plugins/tracing.js'
import batchRoutes from './routes/batch.js'
import booksRoutes from './routes/books.js'
import eventsRoutes from './routes/events.js'
import healthRoutes from './routes/health.js'
import openapiRoutes from './routes/openapi.js'
import readinessRoutes from './routes/readiness.js'
import searchRoutes from './routes/search.js'
import { startOtelTracing } from './tracing/otel-exporter.js'
import { batchLookupsAtOnce } from './upstream-options.js'

export interface BuildOptions {
  /** Where log lines go instead of stdout (tests read them). */
  readonly logStream?: DestinationStream
}

/**
 * Builds the service without listening (tests `inject` into it; server.ts listens). With no
 * upstream URLs configured it starts the built-in demo upstreams on loopback and uses them
 * through the same clients as production. Third-party plugins first, then ours, then routes.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
      // Credentials never reach the logs, whatever a future serializer starts to include.
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' }
    },
    // Our own one-line-per-request log replaces Fastify's two lines (plugins/request-logging).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: requestIdOf,
    // Every log line of a request carries its trace id, joinable with the upstreams' logs.
    childLoggerFactory: (logger, bindings, options, raw) =>
      lazyChildLogger(logger as Logger, () => ({ ...bindings, traceId: traceOf(raw as IncomingMessage).traceId }), options),
    trustProxy: trustProxyOption(config.trustProxy),
    // plugins/lifecycle answers requests that arrive while closing, as problem+json.
    return503OnClosing: false,
    // Slowloris and idle sockets: headers must arrive within headersMs, the whole request
    // within requestMs; a socket silent for idleMs is closed (SSE heartbeats keep theirs open).
    // Node enforces both only when it sweeps its connections, every 30 s by default: a
    // slowloris would get up to 30 s more than headersMs. Sweep often enough to be on time.
    http: {
      headersTimeout: config.clientTimeouts.headersMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.clientTimeouts.headersMs / 4))
    },
    requestTimeout: config.clientTimeouts.requestMs,
    connectionTimeout: config.clientTimeouts.idleMs,
    bodyLimit: 64 * 1024,
    clientErrorHandler: answerClientError,
    // Router errors (bad percent-encoding, over-long path parameters) as problem+json too.
    frameworkErrors: answerFrameworkError
  })

  // Spans are exported only when a collector is configured; otherwise OpenTelemetry is never loaded.
  const endpoint = config.otel.endpoint
  const otel = endpoint === undefined ? undefined : await startOtelTracing({
    endpoint: endpoint.href,
    serviceName: config.otel.serviceName,
    onExportError: (err) => app.log.warn({ err }, 'could not export spans to the OpenTelemetry collector')
  })
  // Added first, so it runs last (onClose hooks run in reverse): spans of the calls that
  // the other hooks end are still flushed.
  if (otel !== undefined) app.addHook('onClose', async () => otel.shutdown())

  let urls = config.upstreamUrls
  // Provider mode may have no native section at all: then there is nothing for demo upstreams to serve.
  const sectionProviders = config.sectionProviders
  const needsNative = sectionProviders === undefined || Object.values(sectionProviders).some((names) => names.includes('native'))
  if (urls === undefined && needsNative) {
    const demo = await startDemoUpstreams()
    app.addHook('onClose', () => demo.close())
    urls = demo.urls
    app.log.info({ upstreams: demo.urls, tryIsbns: demo.sampleIsbns },
      'demo mode: no upstream URLs configured, serving the built-in demo catalog')
  }
  // The gauges read the stack at scrape time; the stack reports into the metrics as it works.
  const circuitLevels = { closed: 0, half_open: 1, open: 2 } as const
  const metrics = new PrometheusMetrics({
    inFlight: (source) => stack.resilient[source].inFlight,
    queued: (source) => stack.resilient[source].queued,
    circuit: (source) => circuitLevels[stack.resilient[source].circuitState]
  })
  const stack = createBookSources(config, urls, app.log, metrics)
  app.addHook('onClose', () => stack.close())

  await app.register(responseHeaders)
  await app.register(lifecycle)
  await app.register(corsPolicy, { origins: config.corsOrigins })
  await app.register(loadShedding, { ...config.loadShedding, onShed: () => metrics.rejectedRequest('shed') })
  await app.register(rateLimiting, { ...config.rateLimit, redis: stack.redis?.client })
  await app.register(compression)
  await app.register(problemDetails)
  await app.register(requestLogging)
  await app.register(tracing, { otel })
  await app.register(metricsPlugin, { metrics, token: config.metricsToken })

  await app.register(healthRoutes)
  await app.register(readinessRoutes, { resilient: stack.resilient, redis: stack.redis })
  await app.register(openapiRoutes)
  const aggregator = new BookAggregator({
    sources: stack.sources,
    timeoutsMs: config.upstreamTimeoutMs,
    deadlineMs: config.requestDeadlineMs
  })
  await app.register(apiDocs)
  await app.register(demoPage)
  // A quarter of the cache's budget (sections have the rest): whole answers of fresh hits.
  const representations = config.cache.enabled
    ? new BookRepresentations(Math.floor(config.cache.maxBytes / 4), (source) => metrics.cache(source, 'hit'))
    : undefined
  await app.register(booksRoutes, { aggregator, representations })
  await app.register(batchRoutes, { aggregator, concurrency: batchLookupsAtOnce(config) })
  await app.register(eventsRoutes, { aggregator, heartbeatMs: config.sseHeartbeatMs })
  await app.register(searchRoutes, {
    search: new BookSearch({
      source: stack.search,
      timeoutMs: config.upstreamTimeoutMs.publisher,
      cacheTtlMs: config.searchCacheTtlMs
    }),
    cacheMaxAgeS: Math.round(config.searchCacheTtlMs / 1000)
  })
  return app
}

/** A hop count trusts that many proxies in front of us (proxy-addr's `hop` is 0-based). */
function trustProxyOption(trust: Config['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}
