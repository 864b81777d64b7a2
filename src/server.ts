import cluster from 'node:cluster'
import { setTimeout as sleep } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { runPrimary } from './cluster-primary.js'
import { ConfigError, loadConfig, type Config } from './config.js'

// The only place that reads the process environment (through loadConfig), listens and
// handles signals; everything else is built by buildApp and testable without a port.
function readConfig(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`book-aggregator: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

/**
 * One app in this process. On SIGTERM/SIGINT: readiness turns 503 at once, the listener keeps
 * accepting for SHUTDOWN_GRACE_MS (load balancers need a moment to notice), then closes;
 * in-flight requests finish within their deadline, keep-alive connections, upstream pools
 * and Redis are closed, and the process exits 0. A second signal exits at once.
 */
async function serve(config: Config): Promise<void> {
  const app = await buildApp(config)
  closeWithGrace({ delay: config.shutdownGraceMs + config.requestDeadlineMs + 2000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error')
    else app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'draining: readiness is now 503')
    app.beginDrain()
    if (!err) await sleep(config.shutdownGraceMs)
    await app.close()
    app.log.info('closed')
  })
  app.log.info({ node: process.version }, 'starting')
  await app.listen({ host: config.host, port: config.port })
}

const config = readConfig()
if (config.webConcurrency > 1 && cluster.isPrimary) runPrimary(config.webConcurrency, config.logLevel)
else void serve(config)
