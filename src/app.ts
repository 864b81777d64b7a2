import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { startDemoUpstreams } from './demo/demo-upstreams.js'
import { requestIdOf } from './http/request-id.js'
import loadShedding from './plugins/load-shedding.js'
import problemDetails from './plugins/problem-details.js'
import rateLimiting from './plugins/rate-limit.js'
import requestLogging from './plugins/request-logging.js'
import booksRoutes from './routes/books.js'
import healthRoutes from './routes/health.js'
import openapiRoutes from './routes/openapi.js'
import { closeUpstreamClients, createResilientSources, createUpstreamClients } from './upstream/upstream-clients.js'

// Enough sockets for the default concurrency without letting one upstream take them all.
const CONNECTIONS_PER_UPSTREAM = 128

/**
 * Builds the service without listening (tests `inject` into it; server.ts listens). With no
 * upstream URLs configured it starts the built-in demo upstreams on loopback and uses them
 * through the same clients as production.
 */
export async function buildApp(config: Config): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
    // Our own one-line-per-request log replaces Fastify's two lines (plugins/request-logging).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: requestIdOf,
    trustProxy: trustProxyOption(config.trustProxy)
  })

  let urls = config.upstreamUrls
  if (urls === undefined) {
    const demo = await startDemoUpstreams()
    app.addHook('onClose', () => demo.close())
    urls = demo.urls
    app.log.info({ upstreams: demo.urls, tryIsbns: demo.sampleIsbns },
      'demo mode: no upstream URLs configured, serving the built-in demo catalog')
  }
  const clients = createUpstreamClients({
    urls,
    maxBodyBytes: config.upstreamMaxBodyBytes,
    connectionsPerUpstream: CONNECTIONS_PER_UPSTREAM
  })
  app.addHook('onClose', () => closeUpstreamClients(clients))
  const sources = createResilientSources(clients, config.resilience, app.log)

  await app.register(loadShedding, config.loadShedding)
  await app.register(rateLimiting, config.rateLimit)
  await app.register(problemDetails)
  await app.register(requestLogging)
  await app.register(healthRoutes)
  await app.register(openapiRoutes)
  await app.register(booksRoutes, {
    sources,
    timeoutsMs: config.upstreamTimeoutMs,
    deadlineMs: config.requestDeadlineMs
  })
  return app
}

/** A hop count trusts that many proxies in front of us (proxy-addr's `hop` is 0-based). */
function trustProxyOption(trust: Config['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}
